using Lime.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

/// <summary>
/// Issue 14 in the browser: what people do to messages (edit, delete for everyone, react, mention, pin) seen by the
/// other member live, and moderation from the member list (mute, ban) seen by the member it hits.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class MessageOperationsTests(Browser browser)
{
    [ChromiumFact]
    public async Task Edit_delete_react_mention_and_pin_reach_the_other_member_live()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.CreateGroupAsync("Ops", bob.Username);
        await alice.SendAsync("Lunch at 12?");

        // A mention of Bob typed by hand (no autocomplete) still goes out structured: Bob's room list marks the room
        // with "@" until he reads it.
        await alice.SendAsync($"@{bob.Username} are you in?");
        await Expect(bob.RoomItem("Ops").GetByTestId("mention-badge")).ToBeVisibleAsync();
        await bob.OpenRoomAsync("Ops");
        await Expect(bob.MessageTexts).ToHaveTextAsync(["Lunch at 12?", $"@{bob.Username} are you in?"]);
        await Expect(bob.RoomItem("Ops").GetByTestId("mention-badge")).ToHaveCountAsync(0);

        // Alice edits from the message's menu: Enter saves; Bob sees the new text and "edited".
        var lunch = alice.Messages.Filter(new() { HasText = "Lunch at 12" });
        await lunch.HoverAsync();
        await lunch.GetByRole(AriaRole.Button, new() { Name = "More actions" }).ClickAsync();
        await alice.Page.GetByRole(AriaRole.Menuitem, new() { Name = "Edit" }).ClickAsync();
        var box = alice.Page.GetByLabel("Edit message");
        await box.FillAsync("Lunch at 12:30?");
        await box.PressAsync("Enter");
        await Expect(box).ToHaveCountAsync(0);
        var bobsLunch = bob.Messages.Filter(new() { HasText = "Lunch at 12" });
        await Expect(bobsLunch.GetByTestId("message-text")).ToHaveTextAsync("Lunch at 12:30?");
        await Expect(bobsLunch.GetByTestId("edited")).ToHaveTextAsync("edited");

        // Up arrow in the empty composer edits my last message; Escape leaves it as it was.
        await alice.Composer.FocusAsync();
        await alice.Composer.PressAsync("ArrowUp");
        await Expect(box).ToHaveValueAsync($"@{bob.Username} are you in?");
        await box.PressAsync("Escape");
        await Expect(box).ToHaveCountAsync(0);
        await Expect(alice.Composer).ToBeFocusedAsync();

        // Bob reacts with the picker; Alice sees the count, adds hers by clicking the chip, Bob takes his back.
        await bobsLunch.HoverAsync();
        await bobsLunch.GetByRole(AriaRole.Button, new() { Name = "Add reaction" }).ClickAsync();
        await bob.Page.GetByRole(AriaRole.Menuitem, new() { Name = "React with 👍" }).ClickAsync();
        var alicesChip = lunch.Locator("[data-testid=reaction][data-emoji='👍']");
        await Expect(alicesChip).ToHaveAttributeAsync("data-count", "1");
        await Expect(alicesChip).ToHaveAttributeAsync("aria-pressed", "false");
        var bobsChip = bobsLunch.Locator("[data-testid=reaction][data-emoji='👍']");
        await Expect(bobsChip).ToHaveAttributeAsync("aria-pressed", "true");
        await alicesChip.ClickAsync();
        await Expect(bobsChip).ToHaveAttributeAsync("data-count", "2");
        await Expect(alicesChip).ToHaveAttributeAsync("aria-pressed", "true");
        await bobsChip.ClickAsync();
        await Expect(alicesChip).ToHaveAttributeAsync("data-count", "1");
        await Expect(bobsChip).ToHaveAttributeAsync("aria-pressed", "false");

        // Alice mentions Bob through the autocomplete (keyboard): Bob's copy of the message is highlighted, Alice's is not.
        await alice.Composer.FillAsync("");
        await alice.Composer.PressSequentiallyAsync("@" + bob.Username[..4]);
        var option = alice.Page.GetByTestId("mention-option").Filter(new() { HasText = "@" + bob.Username });
        await Expect(option).ToHaveAttributeAsync("aria-selected", "true");
        await alice.Composer.PressAsync("Enter");
        await Expect(alice.Composer).ToHaveValueAsync($"@{bob.Username} ");
        await alice.Composer.PressSequentiallyAsync("can you review?");
        await alice.Composer.PressAsync("Enter");
        await Expect(alice.Composer).ToHaveValueAsync("");
        var review = bob.Messages.Filter(new() { HasText = "can you review?" });
        await Expect(review).ToHaveAttributeAsync("data-mentions-me", "true");
        await Expect(bobsLunch).ToHaveAttributeAsync("data-mentions-me", "false");
        await Expect(alice.Messages.Filter(new() { HasText = "can you review?" })).ToHaveAttributeAsync("data-mentions-me", "false");
        await Screenshots.SaveAsync(bob.Page, "message-operations");

        // Alice pins the lunch message: Bob sees the pinned bar.
        await lunch.HoverAsync();
        await lunch.GetByRole(AriaRole.Button, new() { Name = "More actions" }).ClickAsync();
        await alice.Page.GetByRole(AriaRole.Menuitem, new() { Name = "Pin" }).ClickAsync();
        await Expect(bob.Page.GetByTestId("pinned-bar")).ToContainTextAsync("Lunch at 12:30?");

        // Alice deletes it for everyone, after confirming: Bob sees the tombstone, without its reactions, and no pin.
        await lunch.HoverAsync();
        await lunch.GetByRole(AriaRole.Button, new() { Name = "More actions" }).ClickAsync();
        await alice.Page.GetByRole(AriaRole.Menuitem, new() { Name = "Delete for everyone" }).ClickAsync();
        await alice.Page.GetByTestId("confirm-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(bobsLunch).ToHaveCountAsync(0); // its text is gone
        var tombstone = bob.Messages.First;
        await Expect(tombstone).ToHaveAttributeAsync("data-deleted", "true");
        await Expect(tombstone.GetByTestId("message-text")).ToHaveTextAsync("Message deleted");
        await Expect(tombstone.GetByTestId("reaction")).ToHaveCountAsync(0);
        await Expect(bob.Page.GetByTestId("pinned-bar")).ToHaveCountAsync(0);

        // After a reload Bob's client folds the same state from history.
        await bob.Page.ReloadAsync();
        await Expect(bob.Messages.First).ToHaveAttributeAsync("data-deleted", "true");
        await Expect(bob.Messages.Filter(new() { HasText = "can you review?" })).ToHaveAttributeAsync("data-mentions-me", "true");
        Assert.Empty(alice.Errors);
        Assert.Empty(bob.Errors);
        Assert.Empty(alice.Dialogs);
    }

    [ChromiumFact]
    public async Task The_owner_mutes_and_bans_from_the_member_list_and_members_get_no_such_buttons()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await using var carol = await ChatUser.RegisterAsync(browser, server, "carol");
        await alice.CreateGroupAsync("Mods", bob.Username, carol.Username);
        await alice.SendAsync("house rules: be nice");
        await bob.OpenRoomAsync("Mods");
        await carol.OpenRoomAsync("Mods");

        // A plain member sees the member list without moderation buttons.
        await bob.Page.GetByTestId("members-button").ClickAsync();
        await Expect(bob.Page.GetByTestId("member")).ToHaveCountAsync(3);
        await Expect(bob.Page.GetByTestId("member-panel").GetByRole(AriaRole.Button, new() { Name = "Ban", Exact = false })).ToHaveCountAsync(0);

        // The owner mutes Carol: her composer is disabled.
        await alice.Page.GetByTestId("members-button").ClickAsync();
        var panel = alice.Page.GetByTestId("member-panel");
        await panel.GetByRole(AriaRole.Button, new() { Name = $"Mute {carol.Username}" }).ClickAsync();
        await Expect(carol.Composer).ToBeDisabledAsync();
        await Expect(panel.Locator($"[data-username='{carol.Username}']")).ToHaveAttributeAsync("data-muted", "true");

        // The owner bans Bob (after confirming): he loses the room at once.
        await panel.GetByRole(AriaRole.Button, new() { Name = $"Ban {bob.Username}" }).ClickAsync();
        await alice.Page.GetByTestId("confirm-dialog").GetByRole(AriaRole.Button, new() { Name = "Ban" }).ClickAsync();
        await Expect(bob.RoomItem("Mods")).ToHaveCountAsync(0);
        await Expect(bob.Page.GetByTestId("chat-view")).ToHaveCountAsync(0);
        await Expect(alice.Page.GetByTestId("system-event").Last).ToHaveTextAsync($"You banned {bob.Username}");
        await Expect(panel.GetByTestId("member")).ToHaveCountAsync(2);

        // It sticks: after a reload the room is still gone for him.
        await bob.Page.ReloadAsync();
        await Expect(bob.Page.GetByTestId("room-list")).ToBeVisibleAsync();
        await Expect(bob.Banner).ToHaveCountAsync(0);
        await Expect(bob.RoomItem("Mods")).ToHaveCountAsync(0);
        Assert.Empty(alice.Errors);
        Assert.Empty(bob.Errors);
    }

    [ChromiumFact]
    public async Task Joining_a_channel_that_needs_approval_says_request_sent_and_opens_nothing()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        string channel = "vetted-" + Guid.NewGuid().ToString("N")[..4];
        using (var rest = await RestClient.ForAsync(alice))
        {
            long id = await rest.CreateChannelAsync(channel);
            await rest.SendJsonAsync(HttpMethod.Patch, $"/api/rooms/{id}", new Dictionary<string, object?> { ["approval_required"] = true });
        }

        await bob.Page.GetByTestId("new-chat").ClickAsync();
        var dialog = bob.Page.GetByTestId("new-chat-dialog");
        await dialog.GetByRole(AriaRole.Tab, new() { Name = "Channels" }).ClickAsync();
        await dialog.GetByLabel("Search channels").FillAsync(channel);
        var row = dialog.Locator(".channel-row", new() { HasText = channel });
        await Expect(row).ToContainTextAsync("approval required");
        await row.GetByRole(AriaRole.Button, new() { Name = "Ask to join" }).ClickAsync();
        await Expect(row.GetByTestId("join-requested")).ToHaveTextAsync("Request sent");
        await Expect(dialog.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0); // no error
        await Expect(bob.Page.GetByTestId("chat-view")).ToHaveCountAsync(0);
        await Expect(bob.RoomItem(channel)).ToHaveCountAsync(0);
        Assert.Empty(bob.Errors);
    }
}
