using System.Text.Json;
using Lime.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

/// <summary>Issue 15 in the browser: the message search box, Korean first, and jumping to a result in its room.</summary>
[Collection(BrowserTests.Name)]
public sealed class SearchTests(Browser browser)
{
    [ChromiumFact]
    public async Task A_Korean_query_finds_the_message_with_the_particle_highlights_it_and_opens_it_in_its_room()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.CreateGroupAsync("기획팀", bob.Username);
        long room = alice.OpenRoomId();

        // The message to find, then 120 more; Bob reloads, so his client holds only the newest 100 events (the sync
        // snapshot) and the message is reached with the history page around it.
        using var rest = await RestClient.ForAsync(alice);
        long target = await rest.SendAsync(room, "내일 회의는 10시에 시작합니다");
        for (int i = 1; i <= 120; i++)
        {
            await rest.SendAsync(room, $"filler {i:000}");
        }

        await rest.SendAsync(room, "오늘 점심 뭐 먹을까요?");
        await WaitUntilIndexedAsync(rest, "회의", target);
        await bob.Page.ReloadAsync();
        await Expect(bob.RoomItem("기획팀").GetByTestId("room-preview")).ToContainTextAsync("점심");
        await Expect(bob.Banner).ToHaveCountAsync(0);

        await bob.Page.GetByTestId("search-button").ClickAsync();
        await bob.Page.GetByRole(AriaRole.Textbox, new() { Name = "Search messages" }).FillAsync("회의");
        var hit = bob.Page.GetByTestId("search-hit");
        await Expect(hit).ToHaveCountAsync(1);
        await Expect(hit).ToContainTextAsync("기획팀");
        await Expect(hit.GetByTestId("search-snippet")).ToContainTextAsync("내일 회의는 10시에 시작합니다");
        await Expect(hit.GetByTestId("search-mark")).ToHaveTextAsync(["회의"]);
        await Screenshots.SaveAsync(bob.Page, "search");

        // Opening it shows the message in its room, scrolled into view (loaded with history around it).
        await hit.ClickAsync();
        await Expect(bob.ChatTitle).ToHaveTextAsync("기획팀");
        var found = bob.Page.Locator($"[data-testid=message][data-seq='{target}']");
        await Expect(found).ToContainTextAsync("내일 회의는 10시에 시작합니다");
        await Expect(found).ToBeInViewportAsync();

        // A query with nothing searchable says so instead of failing quietly.
        await bob.Page.GetByRole(AriaRole.Textbox, new() { Name = "Search messages" }).FillAsync("?!");
        await Expect(bob.Page.GetByTestId("search-panel").GetByRole(AriaRole.Alert)).ToContainTextAsync("Nothing to search for");
        Assert.Empty(bob.Errors);
    }

    /// <summary>The index fills asynchronously (docs/operations.md): wait until the message is findable.</summary>
    private static async Task WaitUntilIndexedAsync(RestClient rest, string q, long seq)
    {
        for (int i = 0; i < 100; i++)
        {
            using var page = await rest.SendJsonAsync(HttpMethod.Get, $"/api/search?q={Uri.EscapeDataString(q)}");
            if (page.RootElement.GetProperty("hits").EnumerateArray().Any(h => h.GetProperty("seq").GetInt64() == seq))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"'{q}' did not find seq {seq} within 10 s.");
    }
}
