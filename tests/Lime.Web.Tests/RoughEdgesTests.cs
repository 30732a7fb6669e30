using Lime.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

/// <summary>Issue 20, item 6: the sign-up form states its rules, one read indicator per message, actions on a long press on a phone.</summary>
[Collection(BrowserTests.Name)]
public sealed class RoughEdgesTests(Browser browser)
{
    [ChromiumFact]
    public async Task The_sign_up_form_states_its_rules_and_names_the_one_that_is_broken()
    {
        await using var server = new WebServer();
        await using var context = await browser.Instance.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.Origin });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.GetByTestId("username-rule")).ToHaveTextAsync("3–32 letters, digits, '_', '.' or '-'.");
        await Expect(page.GetByTestId("password-rule")).ToHaveTextAsync("At least 8 characters.");

        await page.GetByLabel("Username").FillAsync("a!");
        await page.GetByLabel("Password").FillAsync("short");
        var create = page.GetByRole(AriaRole.Button, new() { Name = "Create account", Exact = true });
        await create.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Username: 3–32 letters, digits, '_', '.' or '-'.");

        await page.GetByLabel("Username").FillAsync("lime_fan");
        await create.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Password: At least 8 characters.");
        await Expect(page.GetByTestId("room-list")).ToHaveCountAsync(0); // nothing was registered

        await page.GetByLabel("Password").FillAsync("long enough");
        await create.ClickAsync();
        await Expect(page.GetByTestId("room-list")).ToBeVisibleAsync();
    }

    [ChromiumFact]
    public async Task My_message_shows_one_read_indicator_the_unread_count_then_the_read_ticks()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");

        await alice.StartDirectChatAsync(bob.Username);
        await alice.SendAsync("one indicator");
        var mine = alice.Page.Locator("[data-testid=message][data-mine=true]");
        await Expect(mine.GetByTestId("unread-by")).ToHaveTextAsync("1");
        await Expect(mine.GetByTestId("ticks")).ToHaveCountAsync(0);

        await bob.OpenRoomAsync(alice.Username);
        await Expect(mine.GetByTestId("unread-by")).ToHaveCountAsync(0);
        await Expect(mine.GetByTestId("ticks")).ToHaveAttributeAsync("data-read", "true");
    }

    [ChromiumFact]
    public async Task On_a_phone_the_reply_button_appears_on_a_long_press_not_on_every_bubble()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice", phone: true);
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");

        await bob.StartDirectChatAsync(alice.Username);
        await bob.SendAsync("first");
        await bob.SendAsync("second");
        await alice.OpenRoomAsync(bob.Username);
        await Expect(alice.MessageTexts).ToHaveTextAsync(["first", "second"]);
        var reply = alice.Page.GetByRole(AriaRole.Button, new() { Name = "Reply", Exact = true, IncludeHidden = true });
        await Expect(reply).ToHaveCountAsync(2);
        await Expect(reply.First).ToBeHiddenAsync();
        await Expect(reply.Last).ToBeHiddenAsync();

        // A long press on a touch screen is a contextmenu event.
        await alice.Messages.Last.DispatchEventAsync("contextmenu");
        await Expect(reply.Last).ToBeVisibleAsync();
        await Expect(reply.First).ToBeHiddenAsync();
        await reply.Last.ClickAsync();
        await Expect(alice.Page.GetByTestId("reply-bar")).ToContainTextAsync("second");
        await Screenshots.SaveAsync(alice.Page, "phone-reply");
    }
}
