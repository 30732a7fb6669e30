using Lime.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

[Collection(BrowserTests.Name)]
public sealed class ReadReceiptTests(Browser browser)
{
    /// <summary>
    /// The client takes the large-room threshold from <c>hello</c> (<c>large_room_members</c>): with the server set to 2,
    /// a direct chat (2 members) shows "unread by 1", a new group of 3 shows no per-member read indicator at all.
    /// </summary>
    [ChromiumFact]
    public async Task Read_receipts_follow_the_large_room_threshold_the_server_announces()
    {
        await using var server = new WebServer(new Dictionary<string, string?> { ["Lime:Rooms:LargeRoomMembers"] = "2" });
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await using var carol = await ChatUser.RegisterAsync(browser, server, "carol");

        await alice.StartDirectChatAsync(bob.Username);
        await alice.SendAsync("small room");
        await Expect(alice.Page.GetByTestId("unread-by")).ToHaveTextAsync("1");

        await alice.Page.GetByTestId("new-chat").ClickAsync();
        var dialog = alice.Page.GetByTestId("new-chat-dialog");
        await dialog.GetByRole(AriaRole.Tab, new() { Name = "Group" }).ClickAsync();
        await dialog.GetByLabel("Group name").FillAsync("Trio");
        await dialog.GetByLabel("Members").FillAsync($"{bob.Username}, {carol.Username}");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create group" }).ClickAsync();
        await Expect(alice.ChatTitle).ToHaveTextAsync("Trio");
        await alice.SendAsync("large room");
        await Expect(alice.Page.Locator("[data-testid=message][data-state=sent]")).ToHaveCountAsync(1);
        await Expect(bob.Badge("Trio")).ToHaveTextAsync("1");
        await Expect(alice.Page.GetByTestId("unread-by")).ToHaveCountAsync(0);

        // The same after a reload (read state from sync).
        await alice.Page.ReloadAsync();
        await Expect(alice.MessageTexts).ToHaveTextAsync(["large room"]);
        await Expect(alice.Page.GetByTestId("unread-by")).ToHaveCountAsync(0);
        Assert.Empty(alice.Errors);
    }
}
