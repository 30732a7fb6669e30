using Lime.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

[Collection(BrowserTests.Name)]
public sealed class ConversationTests(Browser browser)
{
    [ChromiumFact]
    public async Task Two_users_chat_both_ways_in_order_and_the_unread_badge_clears_when_the_room_is_opened()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice", screenshot: "sign-up");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");

        await alice.StartDirectChatAsync(bob.Username);
        await alice.SendAsync("Hi Bob! 👋");
        await alice.SendAsync("Are you coming to the lime tasting tonight?");
        await alice.SendAsync("It starts at 7 — details on https://example.com/limes");
        string[] fromAlice = ["Hi Bob! 👋", "Are you coming to the lime tasting tonight?", "It starts at 7 — details on https://example.com/limes"];
        await Expect(alice.MessageTexts).ToHaveTextAsync(fromAlice);
        await Expect(alice.Page.Locator("[data-testid=message][data-state=sent]")).ToHaveCountAsync(3);

        // Bob has not opened the chat: it is listed with a badge and a preview; Alice sees "unread by 1".
        await Expect(bob.Badge(alice.Username)).ToHaveTextAsync("3");
        await Expect(bob.RoomItem(alice.Username).GetByTestId("room-preview")).ToContainTextAsync("details on");
        await Expect(alice.Page.GetByTestId("unread-by")).ToHaveCountAsync(3);
        await Screenshots.SaveAsync(bob.Page, "room-list");

        await bob.OpenRoomAsync(alice.Username);
        await Expect(bob.Badge(alice.Username)).ToHaveCountAsync(0);
        await Expect(bob.MessageTexts).ToHaveTextAsync(fromAlice);
        await Expect(alice.Page.GetByTestId("unread-by")).ToHaveCountAsync(0); // read receipts reached Alice

        // Bob types: Alice sees it; then he answers.
        await bob.Composer.FillAsync("Sure");
        await Expect(alice.Page.GetByTestId("typing-indicator")).ToContainTextAsync($"{bob.Username} is typing");
        await bob.Composer.FillAsync("");
        await bob.SendAsync("Yes! I'll bring the tortilla chips 🌮");
        await bob.SendAsync("See you there");
        string[] all = [.. fromAlice, "Yes! I'll bring the tortilla chips 🌮", "See you there"];
        await Expect(bob.MessageTexts).ToHaveTextAsync(all);
        await Expect(alice.MessageTexts).ToHaveTextAsync(all);

        // Alice has the room open: nothing unread for her, and both lists show the latest message.
        await Expect(alice.Badge(bob.Username)).ToHaveCountAsync(0);
        await Expect(alice.RoomItem(bob.Username).GetByTestId("room-preview")).ToHaveTextAsync("See you there");
        await Expect(alice.Page.GetByTestId("typing-indicator")).ToHaveTextAsync("");
        await Screenshots.SaveAsync(alice.Page, "chat-view");

        Assert.Empty(alice.Errors);
        Assert.Empty(bob.Errors);
    }

    [ChromiumFact]
    public async Task Reloading_mid_conversation_brings_back_history_and_unread_state_with_nothing_duplicated()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");

        await alice.StartDirectChatAsync(bob.Username);
        string[] first = ["one", "two", "three"];
        foreach (string text in first)
        {
            await alice.SendAsync(text);
        }

        await Expect(bob.Badge(alice.Username)).ToHaveTextAsync("3");

        // Bob reloads before reading: the chat and its unread count come back.
        await bob.Page.ReloadAsync();
        await Expect(bob.Badge(alice.Username)).ToHaveTextAsync("3");
        await bob.OpenRoomAsync(alice.Username);
        await Expect(bob.MessageTexts).ToHaveTextAsync(first);
        await Expect(bob.Badge(alice.Username)).ToHaveCountAsync(0);
        await bob.SendAsync("four");

        // Alice reloads with the chat open (its address), mid-conversation.
        await Expect(alice.MessageTexts).ToHaveTextAsync([.. first, "four"]);
        await alice.Page.ReloadAsync();
        await Expect(alice.ChatTitle).ToHaveTextAsync(bob.Username);
        await Expect(alice.MessageTexts).ToHaveTextAsync([.. first, "four"]);
        await alice.SendAsync("five");

        // Bob reloads again: read state survived (no badge), history complete, each message once.
        await bob.Page.ReloadAsync();
        await Expect(bob.MessageTexts).ToHaveTextAsync([.. first, "four", "five"]);
        await Expect(bob.Badge(alice.Username)).ToHaveCountAsync(0);
        await Expect(alice.MessageTexts).ToHaveTextAsync([.. first, "four", "five"]);
        Assert.Equal([.. first, "four", "five"], await alice.StoredMessagesAsync(alice.OpenRoomId()));
    }
}
