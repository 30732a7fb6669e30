using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests.Infrastructure;

/// <summary>
/// One person in the web client: an isolated browser context (its own storage, so its own signed-in user) with one
/// page, plus the steps a person takes. Collects dialogs (an XSS canary) and page errors (for failure messages).
/// </summary>
public sealed class ChatUser : IAsyncDisposable
{
    private ChatUser(IBrowserContext context, IPage page, string username, WebServer server)
    {
        Context = context;
        Page = page;
        Username = username;
        Server = server;
        page.Dialog += (_, dialog) =>
        {
            Dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };
        page.PageError += (_, error) => Errors.Add(error);
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                Errors.Add(message.Text); // the app must run under its own CSP without violations
            }
        };
    }

    public IBrowserContext Context { get; }
    public IPage Page { get; }
    public string Username { get; }
    public WebServer Server { get; }
    public List<string> Dialogs { get; } = [];
    public List<string> Errors { get; } = [];

    /// <summary>Opens the app and creates an account (display name = username) through the sign-up form.</summary>
    /// <param name="phone">A phone: 390×844, touch, no hover (the layout and the media queries of a phone).</param>
    public static async Task<ChatUser> RegisterAsync(Browser browser, WebServer server, string prefix, string? screenshot = null, bool phone = false)
    {
        var context = await browser.Instance.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.Origin,
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1100, Height = 720 },
            IsMobile = phone,
            HasTouch = phone,
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        string username = prefix + Guid.NewGuid().ToString("N")[..6];
        var user = new ChatUser(context, page, username, server);

        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Create account" }).ClickAsync();
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Display name").FillAsync(username);
        await page.GetByLabel("Password").FillAsync("correct horse battery");
        if (screenshot is not null)
        {
            await Screenshots.SaveAsync(page, screenshot);
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Create account", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("room-list")).ToBeVisibleAsync();
        await Expect(user.Banner).ToHaveCountAsync(0); // connected and caught up
        return user;
    }

    public ILocator Banner => Page.GetByTestId("connection-banner");
    public ILocator ChatTitle => Page.GetByTestId("chat-title");
    public ILocator Composer => Page.GetByTestId("composer");

    /// <summary>Every message bubble of the open room (stored ones and this device's unsent ones), in display order.</summary>
    public ILocator Messages => Page.Locator("[data-testid=message-list] [data-testid=message]");

    public ILocator MessageTexts => Page.Locator("[data-testid=message-list] [data-testid=message-text]");

    public ILocator RoomItem(string title) => Page.Locator($"[data-testid=room-item][data-title=\"{title}\"]");

    public ILocator Badge(string title) => RoomItem(title).GetByTestId("unread-badge");

    /// <summary>New chat → Direct → username → Start chat; the chat opens.</summary>
    public async Task StartDirectChatAsync(string username)
    {
        await Page.GetByTestId("new-chat").ClickAsync();
        var dialog = Page.GetByTestId("new-chat-dialog");
        await dialog.GetByLabel("Username").FillAsync(username);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(ChatTitle).ToHaveTextAsync(username);
    }

    /// <summary>New chat → Group → name and members (usernames) → Create group; the group opens.</summary>
    public async Task CreateGroupAsync(string name, params string[] usernames)
    {
        await Page.GetByTestId("new-chat").ClickAsync();
        var dialog = Page.GetByTestId("new-chat-dialog");
        await dialog.GetByRole(AriaRole.Tab, new() { Name = "Group" }).ClickAsync();
        await dialog.GetByLabel("Group name").FillAsync(name);
        await dialog.GetByLabel("Members").FillAsync(string.Join(", ", usernames));
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Create group" }).ClickAsync();
        await Expect(ChatTitle).ToHaveTextAsync(name);
    }

    public async Task OpenRoomAsync(string title)
    {
        await RoomItem(title).ClickAsync();
        await Expect(ChatTitle).ToHaveTextAsync(title);
    }

    /// <summary>Types a message and presses Enter.</summary>
    public async Task SendAsync(string text)
    {
        await Composer.FillAsync(text);
        await Composer.PressAsync("Enter");
        await Expect(Composer).ToHaveValueAsync("");
    }

    /// <summary>The id of the open room (from the address).</summary>
    public long OpenRoomId() => long.Parse(Page.Url.Split('/').Last(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The stored messages of a room, read over REST with this user's token (from the app's storage).</summary>
    public async Task<List<string>> StoredMessagesAsync(long room)
    {
        using var rest = await RestClient.ForAsync(this);
        return await rest.MessageTextsAsync(room);
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
    }
}
