using Lime.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

[Collection(BrowserTests.Name)]
public sealed class HistoryTests(Browser browser)
{
    [ChromiumFact]
    public async Task Scrolling_up_loads_older_history_in_order_and_a_reply_jumps_to_its_original()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        await alice.SendAsync("the very first message");
        long room = alice.OpenRoomId();

        using var rest = await RestClient.ForAsync(bob);
        const int count = 240;
        for (int i = 1; i <= count; i++)
        {
            await rest.SendAsync(room, $"history {i:000}");
        }

        await rest.SendAsync(room, "answering your first message", replyTo: 2);
        await Expect(alice.MessageTexts.Last).ToHaveTextAsync("answering your first message");

        // After a reload the device holds only the newest page; the reply's original is far back.
        await alice.Page.ReloadAsync();
        await Expect(alice.MessageTexts.Last).ToHaveTextAsync("answering your first message");
        Assert.True(await alice.Messages.CountAsync() < count);
        await alice.Page.GetByTestId("reply-quote").Last.ClickAsync();
        var original = alice.Page.Locator("[data-testid=message][data-seq='2']");
        await Expect(original).ToBeInViewportAsync();
        await Expect(original).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("highlight"));

        // Reload again and scroll up to the beginning: every message once, in order.
        await alice.Page.ReloadAsync();
        await Expect(alice.MessageTexts.Last).ToHaveTextAsync("answering your first message");
        var list = alice.Page.GetByTestId("message-list");
        var beginning = alice.Page.GetByText("This is the beginning of the conversation.");
        for (int i = 0; i < 30 && !await beginning.IsVisibleAsync(); i++)
        {
            await list.EvaluateAsync("el => el.scrollTop = 0");
            await Task.Delay(200);
        }

        await Expect(beginning).ToBeVisibleAsync();
        string[] expected = ["the very first message", .. Enumerable.Range(1, count).Select(i => $"history {i:000}"), "answering your first message"];
        await Expect(alice.MessageTexts).ToHaveTextAsync(expected);
    }

    [ChromiumFact]
    public async Task Groups_and_open_channels_can_be_created_searched_joined_and_replied_in()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await using var carol = await ChatUser.RegisterAsync(browser, server, "carol");

        // A group with two members, named by username.
        await alice.Page.GetByTestId("new-chat").ClickAsync();
        var dialog = alice.Page.GetByTestId("new-chat-dialog");
        await dialog.GetByRole(AriaRole.Tab, new() { Name = "Group" }).ClickAsync();
        await dialog.GetByLabel("Group name").FillAsync("Lime team");
        await dialog.GetByLabel("Members").FillAsync($"{bob.Username}, {carol.Username}");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create group" }).ClickAsync();
        await Expect(alice.ChatTitle).ToHaveTextAsync("Lime team");
        await alice.SendAsync("Welcome to the team!");

        await Expect(bob.Badge("Lime team")).ToHaveTextAsync("1");
        await bob.OpenRoomAsync("Lime team");
        await bob.SendAsync("Thanks, happy to be here");

        // Carol replies to Alice's message.
        await carol.OpenRoomAsync("Lime team");
        var welcome = carol.Messages.Filter(new() { HasText = "Welcome to the team!" });
        await welcome.HoverAsync();
        await welcome.GetByRole(AriaRole.Button, new() { Name = "Reply" }).ClickAsync();
        await Expect(carol.Page.GetByTestId("reply-bar")).ToContainTextAsync("Welcome to the team!");
        await carol.SendAsync("Same here! 🍋");
        await Expect(alice.Messages.Last.GetByTestId("reply-quote")).ToContainTextAsync("Welcome to the team!");
        await Expect(alice.MessageTexts).ToHaveTextAsync(["Welcome to the team!", "Thanks, happy to be here", "Same here! 🍋"]);
        await Expect(alice.Page.Locator(".msg-sender")).ToHaveTextAsync([bob.Username, carol.Username]);
        await Screenshots.SaveAsync(alice.Page, "group-chat");

        // Carol opens a channel; Alice finds it by name and joins.
        string channel = "limes-" + Guid.NewGuid().ToString("N")[..4];
        await carol.Page.GetByTestId("new-chat").ClickAsync();
        dialog = carol.Page.GetByTestId("new-chat-dialog");
        await dialog.GetByRole(AriaRole.Tab, new() { Name = "Channels" }).ClickAsync();
        await dialog.GetByLabel("Channel name").FillAsync(channel);
        await dialog.GetByLabel("Topic").FillAsync("All about limes");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        await Expect(carol.ChatTitle).ToHaveTextAsync(channel);
        await carol.SendAsync("First post in the channel");

        await alice.Page.GetByTestId("new-chat").ClickAsync();
        dialog = alice.Page.GetByTestId("new-chat-dialog");
        await dialog.GetByRole(AriaRole.Tab, new() { Name = "Channels" }).ClickAsync();
        await dialog.GetByLabel("Search channels").FillAsync("LIMES-");
        var row = dialog.Locator(".channel-row", new() { HasText = channel });
        await Expect(row).ToContainTextAsync("All about limes");
        await Screenshots.SaveAsync(alice.Page, "channels");
        await row.GetByRole(AriaRole.Button, new() { Name = "Join" }).ClickAsync();
        await Expect(alice.ChatTitle).ToHaveTextAsync(channel);
        await Expect(alice.MessageTexts).ToHaveTextAsync(["First post in the channel"]);
        await Expect(alice.Page.GetByTestId("system-event").Last).ToHaveTextAsync("You joined");
        await Expect(carol.Page.GetByTestId("system-event").Last).ToHaveTextAsync($"{alice.Username} joined");

        // The room list is ordered by activity: the channel first, then the group.
        await Expect(alice.Page.GetByTestId("room-title")).ToHaveTextAsync([channel, "Lime team"]);

        // The same chat on a phone-sized screen.
        await bob.Page.SetViewportSizeAsync(390, 760);
        await Screenshots.SaveAsync(bob.Page, "mobile-chat");
        Assert.Empty(alice.Errors);
        Assert.Empty(carol.Errors);
    }
}
