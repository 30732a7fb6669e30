using Lime.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Lime.Web.Tests;

[Collection(BrowserTests.Name)]
public sealed class InputTests(Browser browser)
{
    /// <summary>
    /// Types 한글 the way a Korean input method does (Chromium's IME emulation over CDP: composition updates per
    /// jamo, commit per syllable) and presses Enter while the second syllable is still being composed. That Enter
    /// only finishes the syllable; the next Enter sends exactly "한글".
    /// </summary>
    [ChromiumFact]
    public async Task Korean_composed_with_an_input_method_is_sent_whole_and_enter_during_composition_does_not_send()
    {
        await using var server = new WebServer();
        await using var alice = await ChatUser.RegisterAsync(browser, server, "alice");
        await using var bob = await ChatUser.RegisterAsync(browser, server, "bob");
        await alice.StartDirectChatAsync(bob.Username);
        await bob.OpenRoomAsync(alice.Username);

        var page = alice.Page;
        await alice.Composer.FocusAsync();
        var cdp = await page.Context.NewCDPSessionAsync(page);
        async Task Compose(string text) => await cdp.SendAsync("Input.imeSetComposition", new Dictionary<string, object>
        {
            ["text"] = text, ["selectionStart"] = text.Length, ["selectionEnd"] = text.Length,
        });
        async Task Commit(string text) => await cdp.SendAsync("Input.insertText", new Dictionary<string, object> { ["text"] = text });
        async Task EnterKey(string type, int keyCode) => await cdp.SendAsync("Input.dispatchKeyEvent", new Dictionary<string, object>
        {
            ["type"] = type, ["key"] = "Enter", ["code"] = "Enter", ["windowsVirtualKeyCode"] = keyCode, ["nativeVirtualKeyCode"] = keyCode,
        });

        await Compose("ㅎ");
        await Compose("하");
        await Compose("한");
        await Commit("한");
        await Compose("ㄱ");
        await Compose("그");
        await Compose("글");

        // Enter while "글" is still composing (both as key code 13 and as the IME's 229): nothing is sent.
        await EnterKey("rawKeyDown", 13);
        await EnterKey("keyUp", 13);
        await EnterKey("rawKeyDown", 229);
        await EnterKey("keyUp", 229);
        await Commit("글");
        await Expect(alice.Composer).ToHaveValueAsync("한글");
        await Task.Delay(500);
        await Expect(alice.Messages).ToHaveCountAsync(0);

        await alice.Composer.PressAsync("Enter");
        await Expect(alice.Composer).ToHaveValueAsync("");
        await Expect(alice.MessageTexts).ToHaveTextAsync(["한글"]);
        await Expect(bob.MessageTexts).ToHaveTextAsync(["한글"]);
        Assert.Equal(["한글"], await alice.StoredMessagesAsync(alice.OpenRoomId()));
        Assert.Empty(alice.Errors);
    }
}
