using Lime.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

[Collection(BrowserTests.Name)]
public sealed class ReconnectTests(Browser browser)
{
    [ChromiumFact]
    public async Task Twenty_messages_sent_while_a_user_is_offline_arrive_once_in_order_and_the_banner_clears()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        await alice.SendAsync("before");
        await bob.OpenRoomAsync(alice.Username);
        await Expect(bob.MessageTexts).ToHaveTextAsync(["before"]);

        await bob.Context.SetOfflineAsync(true);
        await Expect(bob.Banner).ToBeVisibleAsync();
        await Expect(bob.Banner).ToHaveAttributeAsync("data-status", "offline");

        string[] burst = [.. Enumerable.Range(1, 20).Select(i => $"message {i:00}")];
        foreach (string text in burst)
        {
            await alice.SendAsync(text);
        }

        await Expect(alice.Page.Locator("[data-testid=message][data-state=sent]")).ToHaveCountAsync(21);
        await Expect(bob.MessageTexts).ToHaveTextAsync(["before"]); // nothing leaked through while offline

        await bob.Context.SetOfflineAsync(false);
        await Expect(bob.MessageTexts).ToHaveTextAsync(["before", .. burst]);
        await Expect(bob.Banner).ToHaveCountAsync(0);
        await Task.Delay(500); // late duplicates would show up now
        await Expect(bob.MessageTexts).ToHaveTextAsync(["before", .. burst]);
        await Expect(bob.Badge(alice.Username)).ToHaveCountAsync(0);
        Assert.Empty(bob.Errors);
    }

    [ChromiumFact]
    public async Task A_message_sent_while_offline_shows_sending_and_is_delivered_exactly_once_after_reconnecting()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        await alice.SendAsync("hello");
        await bob.OpenRoomAsync(alice.Username);
        await Expect(bob.MessageTexts).ToHaveTextAsync(["hello"]);

        await alice.Context.SetOfflineAsync(true);
        await Expect(alice.Banner).ToHaveAttributeAsync("data-status", "offline");
        await alice.SendAsync("written on the train");
        var pending = alice.Page.Locator("[data-testid=message][data-state=sending]");
        await Expect(pending).ToHaveCountAsync(1);
        await Expect(pending.GetByTestId("message-text")).ToHaveTextAsync("written on the train");
        await Expect(pending.GetByTestId("sending")).ToContainTextAsync("Sending");
        await Task.Delay(1500);
        await Expect(pending).ToHaveCountAsync(1);
        await Expect(bob.MessageTexts).ToHaveTextAsync(["hello"]);
        await Screenshots.SaveAsync(alice.Page, "offline-sending");

        await alice.Context.SetOfflineAsync(false);
        await Expect(alice.Page.Locator("[data-testid=message][data-state=sending]")).ToHaveCountAsync(0);
        await Expect(alice.MessageTexts).ToHaveTextAsync(["hello", "written on the train"]);
        await Expect(bob.MessageTexts).ToHaveTextAsync(["hello", "written on the train"]);
        await Expect(alice.Banner).ToHaveCountAsync(0);
        await Task.Delay(500);
        await Expect(alice.MessageTexts).ToHaveTextAsync(["hello", "written on the train"]);
        Assert.Equal(["hello", "written on the train"], await alice.StoredMessagesAsync(alice.OpenRoomId()));
        Assert.Empty(alice.Errors);
    }
}
