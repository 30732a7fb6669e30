using Lime.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

[Collection(BrowserTests.Name)]
public sealed class SafetyTests(Browser browser)
{
    private static readonly string[] Corpus =
    [
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(2)>",
        "<script>alert(3)</script>",
        "\"><img src=x onerror=alert(4)>",
        "<iframe src=\"javascript:alert(5)\"></iframe>",
        "<a href=\"javascript:alert(6)\">click me</a>",
        "javascript:alert(7)",
        "JaVaScRiPt:alert(8)//https://example.com",
        "[docs](javascript:alert(9))",
        "<style>body{display:none}</style>",
        "see https://example.com/?q=<b>bold</b>&x=\"1\" now",
    ];

    [ChromiumFact]
    public async Task Markup_and_script_links_in_messages_render_as_text_with_no_dialogs_and_no_injected_elements()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        foreach (string text in Corpus)
        {
            await alice.SendAsync(text);
        }

        await bob.OpenRoomAsync(alice.Username);
        foreach (var user in new[] { alice, bob })
        {
            await Expect(user.MessageTexts).ToHaveTextAsync(Corpus);
            await Expect(user.Page.Locator("[data-testid=message-text] :is(img, svg, script, iframe, style, object, embed, b)")).ToHaveCountAsync(0);
            var hrefs = await user.Page.Locator("[data-testid=message-text] a").EvaluateAllAsync<string[]>("links => links.map(a => a.href)");
            Assert.All(hrefs, href => Assert.StartsWith("https://example.com/", href, StringComparison.Ordinal));
            Assert.Equal(2, hrefs.Length); // the two real URLs, nothing else became a link
            Assert.Empty(user.Dialogs);
            Assert.Empty(user.Errors);
            Assert.Equal(0, await user.Page.EvaluateAsync<int>("() => document.querySelectorAll('body img, body iframe, body script').length"));
        }
    }

    /// <summary>Messages whose bidi controls would show a link as one address while it leads to another.</summary>
    private static readonly (string Text, string Href)[] BidiTricks =
    [
        ("\u202Ehttps://evil.example/moc.knab", "https://evil.example/moc.knab"),          // RLO before the URL
        ("pay at https://bank.example/\u202Elive.example now", "https://bank.example/live.example"), // RLO inside it (dropped)
        ("\u2067https://evil.example/lru\u2069 ok", "https://evil.example/lru"),           // right-to-left isolate
        ("\u202Bhttps://evil.example/gnp.exe\u202C", "https://evil.example/gnp.exe"),     // RLE ... PDF
        ("مرحبا https://example.com/a/b مرحبا", "https://example.com/a/b"),                  // right-to-left text around
    ];

    [ChromiumFact]
    public async Task A_link_in_a_message_with_bidi_controls_shows_the_same_address_it_links_to_in_the_same_order()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        foreach (var (text, _) in BidiTricks)
        {
            await alice.SendAsync(text);
        }

        await bob.OpenRoomAsync(alice.Username);
        await Expect(bob.MessageTexts).ToHaveCountAsync(BidiTricks.Length);
        // For each link: its text, its href, and whether its characters are laid out left to right in the order they
        // are written (an override before or around the link would draw them right to left).
        string layout = await bob.Page.Locator("[data-testid=message-list] [data-testid=message-text] a").EvaluateAllAsync<string>("""
            links => JSON.stringify(links.map(a => {
              const node = a.firstChild;
              const xs = [];
              for (let i = 0; i < node.length; i++) {
                const r = document.createRange();
                r.setStart(node, i);
                r.setEnd(node, i + 1);
                xs.push(r.getBoundingClientRect().left);
              }
              return { text: a.textContent, href: a.href, inOrder: xs.every((x, i) => i === 0 || x > xs[i - 1]) };
            }))
            """);
        var links = System.Text.Json.JsonSerializer.Deserialize<LinkLayout[]>(layout, WebJson)!;
        Assert.Equal(BidiTricks.Select(t => t.Href), links.Select(l => l.Href));
        Assert.All(links, l =>
        {
            Assert.Equal(l.Href, l.Text);
            Assert.True(l.InOrder, $"{l.Href} is not drawn left to right");
        });

        // No override, embedding or isolate control is left in any rendered message.
        var texts = await bob.MessageTexts.AllTextContentsAsync();
        Assert.All(texts, t => Assert.DoesNotContain(t, c => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069'));
        Assert.Empty(bob.Errors);
    }

    private sealed record LinkLayout(string Text, string Href, bool InOrder);

    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    [ChromiumFact]
    public async Task The_app_is_served_with_a_content_security_policy_that_allows_no_inline_scripts()
    {
        await using var server = new WebServer();
        using var http = new HttpClient { BaseAddress = new Uri(server.Origin) };
        foreach (string path in new[] { "/", "/rooms/1" })
        {
            using var response = await http.GetAsync(path);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            string csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("<div id=\"root\">", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The API keeps answering as before; the API reference under /docs keeps working.
        using var unknown = await http.GetAsync("/api/nothing-here");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("not_found", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var docs = await http.GetAsync("/docs");
        Assert.Equal(System.Net.HttpStatusCode.OK, docs.StatusCode);

        // And the browser runs the app under that policy without violations.
        var context = await browser.Instance.NewContextAsync(new() { BaseURL = server.Origin });
        var page = await context.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                violations.Add(message.Text);
            }
        };
        await page.GotoAsync("/");
        await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        Assert.Empty(violations);
        await context.DisposeAsync();
    }
}
