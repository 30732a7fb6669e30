using System.Text.Json;
using Lime.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

[Collection(BrowserTests.Name)]
public sealed class SessionTests(Browser browser)
{
    /// <summary>
    /// Access tokens of 30 s (the shortest allowed; the server tolerates 30 s of clock skew): the client refreshes
    /// (rotating the refresh token) before expiry, so once the first token is dead a reconnect and a send still work.
    /// </summary>
    [ChromiumFact]
    public async Task The_client_refreshes_its_token_so_it_reconnects_and_sends_after_the_first_token_expired()
    {
        await using var server = new WebServer(new Dictionary<string, string?> { ["Lime:Auth:AccessTokenSeconds"] = "30" });
        var started = DateTime.UtcNow;
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        await bob.OpenRoomAsync(alice.Username);
        string firstRefresh = await RefreshTokenAsync(alice);

        // Past expiry plus skew of the token issued at sign-up.
        var wait = started.AddSeconds(62) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        Assert.NotEqual(firstRefresh, await RefreshTokenAsync(alice));
        await alice.Context.SetOfflineAsync(true);
        await Expect(alice.Banner).ToHaveAttributeAsync("data-status", "offline");
        await alice.Context.SetOfflineAsync(false);
        await Expect(alice.Banner).ToHaveCountAsync(0);
        await alice.SendAsync("still here");
        await Expect(bob.MessageTexts).ToHaveTextAsync(["still here"]);
        await Expect(alice.Page.Locator("[data-testid=message][data-state=sent]")).ToHaveCountAsync(1);
    }

    [ChromiumFact]
    public async Task Signing_out_and_back_in_brings_back_the_same_chats()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        await alice.SendAsync("remember me");

        await bob.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        var signIn = bob.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true });
        await Expect(signIn).ToBeVisibleAsync();
        Assert.Null(await bob.Page.EvaluateAsync<string?>("() => localStorage.getItem('lime.session')"));

        await bob.Page.GetByLabel("Username").FillAsync(bob.Username);
        await bob.Page.GetByLabel("Password").FillAsync("wrong password");
        await signIn.ClickAsync();
        await Expect(bob.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Wrong username or password");
        await bob.Page.GetByLabel("Password").FillAsync("correct horse battery");
        await Screenshots.SaveAsync(bob.Page, "sign-in");
        await signIn.ClickAsync();
        await Expect(bob.Badge(alice.Username)).ToHaveTextAsync("1");
        await bob.OpenRoomAsync(alice.Username);
        await Expect(bob.MessageTexts).ToHaveTextAsync(["remember me"]);
    }

    private static async Task<string> RefreshTokenAsync(ChatUser user)
    {
        string? session = await user.Page.EvaluateAsync<string?>("() => localStorage.getItem('lime.session')");
        using var doc = JsonDocument.Parse(session!);
        return doc.RootElement.GetProperty("refresh_token").GetString()!;
    }
}
