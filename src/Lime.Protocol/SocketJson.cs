using System.Text.Encodings.Web;
using System.Text.Json;

namespace Lime.Protocol;

/// <summary>
/// The serializer for frames the server writes on a WebSocket: <see cref="LimeJsonContext"/> with
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> instead of the default encoder, so <c>&lt;</c>, <c>&amp;</c>,
/// quotes-in-HTML and non-ASCII text are written as themselves (1-3 bytes) instead of <c>\u003C</c> (6 bytes).
/// The default encoder made a 100 KB text of <c>&lt;</c> a 600 KB frame, so one history page grew sixfold.
/// </summary>
/// <remarks>
/// Why the relaxed encoder is safe here: HTML-escaping inside JSON strings only matters where the JSON text itself
/// may end up parsed as HTML or script — JSON pasted into an HTML page or a <c>&lt;script&gt;</c> block, or a
/// response a browser might sniff and render as a document. A WebSocket text frame is neither: the browser hands
/// it to script as a string (<c>MessageEvent.data</c>), never renders or sniffs it, and the client parses it with
/// <c>JSON.parse</c>; message text is then rendered as text, never as HTML (web/src/ui). The output is still strict
/// JSON: quotes, backslashes and every control character stay escaped, so a raw newline never appears inside a frame
/// and splitting a message on '\n' stays safe (docs/protocol.md, Framing). REST responses keep the default encoder:
/// a REST URL can be opened in a browser tab, where the defence in depth costs little (bodies are streamed, not
/// built whole).
/// </remarks>
public static class SocketJson
{
    public static LimeJsonContext Context { get; } = new(new JsonSerializerOptions(LimeJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
