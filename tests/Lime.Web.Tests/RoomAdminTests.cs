using Lime.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

/// <summary>Issue 14's room settings in the browser: invite links, approval of join requests, and blocking a person.</summary>
[Collection(BrowserTests.Name)]
public sealed class RoomAdminTests(Browser browser)
{
    [ChromiumFact]
    public async Task An_invite_link_lets_one_join_and_with_approval_required_another_waits_until_approved()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await using var carol = await ChatUser.RegisterAsync(browser, server, "carol");
        await alice.CreateGroupAsync("Club");
        await alice.SendAsync("welcome, everyone");

        // The owner creates a link in the room settings.
        await alice.Page.GetByTestId("settings-button").ClickAsync();
        var settings = alice.Page.GetByTestId("room-settings");
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Invite links" }).ClickAsync();
        await settings.GetByRole(AriaRole.Button, new() { Name = "Create link" }).ClickAsync();
        string link = await settings.GetByLabel("Invite link").InputValueAsync();
        Assert.StartsWith(server.Origin + "/?invite=", link);

        // Bob opens it: he sees what it leads to, joins, and the room opens with its history.
        await bob.Page.GotoAsync(link);
        var screen = bob.Page.GetByTestId("invite-screen");
        await Expect(screen).ToContainTextAsync("Club");
        await screen.GetByRole(AriaRole.Button, new() { Name = "Join", Exact = true }).ClickAsync();
        await Expect(bob.ChatTitle).ToHaveTextAsync("Club");
        await Expect(bob.MessageTexts).ToHaveTextAsync(["welcome, everyone"]);

        // Joining now needs approval: Carol's join is a request; nothing opens for her until the owner approves.
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Details" }).ClickAsync();
        await settings.GetByLabel("Joining needs approval by an owner or admin").CheckAsync();
        await settings.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(settings.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");
        await carol.Page.GotoAsync(link);
        screen = carol.Page.GetByTestId("invite-screen");
        await screen.GetByRole(AriaRole.Button, new() { Name = "Ask to join" }).ClickAsync();
        await Expect(screen.GetByTestId("join-requested")).ToContainTextAsync("Request sent");
        await Expect(carol.RoomItem("Club")).ToHaveCountAsync(0);

        await settings.GetByRole(AriaRole.Tab, new() { Name = "Join requests" }).ClickAsync();
        await settings.GetByRole(AriaRole.Button, new() { Name = $"Approve {carol.Username}" }).ClickAsync();
        await Expect(settings.GetByTestId("join-request")).ToHaveCountAsync(0);
        await Expect(carol.RoomItem("Club")).ToHaveCountAsync(1);

        // The owner deletes the group: it is gone for everyone.
        await settings.GetByRole(AriaRole.Tab, new() { Name = "Details" }).ClickAsync();
        await settings.GetByRole(AriaRole.Button, new() { Name = "Delete this group" }).ClickAsync();
        await alice.Page.GetByTestId("confirm-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(alice.RoomItem("Club")).ToHaveCountAsync(0);
        await Expect(bob.RoomItem("Club")).ToHaveCountAsync(0);
        await Expect(bob.Page.GetByTestId("chat-view")).ToHaveCountAsync(0);
        await Expect(carol.RoomItem("Club")).ToHaveCountAsync(0);
        Assert.Empty(alice.Errors);
        Assert.Empty(bob.Errors);
        Assert.Empty(carol.Errors);
    }

    [ChromiumFact]
    public async Task Blocking_in_a_direct_chat_disables_my_composer_and_refuses_their_messages()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        await alice.SendAsync("hi");
        await bob.OpenRoomAsync(alice.Username);

        await alice.Page.GetByTestId("block-button").ClickAsync();
        await alice.Page.GetByTestId("confirm-dialog").GetByRole(AriaRole.Button, new() { Name = "Block" }).ClickAsync();
        await Expect(alice.Page.GetByTestId("block-button")).ToHaveTextAsync("Unblock");
        await Expect(alice.Composer).ToBeDisabledAsync();

        // Bob's message is refused (not retried for ever): it shows as not sent, and Alice never gets it.
        await bob.SendAsync("are you there?");
        await Expect(bob.Page.Locator("[data-testid=message][data-state=failed]")).ToHaveCountAsync(1);
        await Expect(alice.MessageTexts).ToHaveTextAsync(["hi"]);

        // Unblocking opens the chat again (after a reload, the block state comes from the server).
        await alice.Page.ReloadAsync();
        await Expect(alice.Page.GetByTestId("block-button")).ToHaveTextAsync("Unblock");
        await alice.Page.GetByTestId("block-button").ClickAsync();
        await Expect(alice.Composer).ToBeEnabledAsync();
        await alice.SendAsync("back again");
        await Expect(bob.MessageTexts).ToHaveTextAsync(["hi", "back again", "are you there?"]);
        Assert.Empty(alice.Errors);
    }
}
