using System.Globalization;
using Lime.Protocol;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>
/// What a push says. A message: title = the sender (direct) or the room name; body = the preview (prefixed with the
/// sender in groups and channels). Preview <c>full</c> = the text (cut at <see cref="MaxBody"/> characters to stay
/// inside every service's 4 KB payload), <c>truncated</c> = the first <see cref="PushOptions.PreviewLength"/>
/// characters, <c>none</c> = "New message" (nothing of the text leaves the server). A digest: "5 new messages".
/// Collapse id: <c>room-{id}</c>, or <c>digest</c> for a digest spanning rooms.
/// </summary>
public sealed class PushComposer(IOptions<LimeOptions> options)
{
    public const int MaxBody = 1000;

    private readonly PushOptions _options = options.Value.Push;

    public PushNotification Message(string key, PushMessage m, long badge)
    {
        string preview = Preview(m.Text);
        bool direct = m.RoomKind == RoomKinds.Direct;
        string title = direct ? m.SenderName : m.RoomName ?? m.SenderName;
        string body = direct ? preview : $"{m.SenderName}: {preview}";
        return new PushNotification(key, CollapseId(m.RoomId), m.RoomId, m.Seq, title, body, m.SenderName, 1, badge);
    }

    /// <summary>A digest of <paramref name="count"/> new messages in one room (<paramref name="title"/>) or several (null room).</summary>
    public static PushNotification Digest(string key, long? room, long seq, string? title, long count, long badge)
    {
        string body = string.Create(CultureInfo.InvariantCulture, $"{count} new {(count == 1 ? "message" : "messages")}");
        return room is { } r
            ? new PushNotification(key, CollapseId(r), r, seq, title ?? "LIME", body, null, count, badge)
            : new PushNotification(key, "digest", 0, seq, "LIME", body + " in several chats", null, count, badge);
    }

    public static string CollapseId(long room) => string.Create(CultureInfo.InvariantCulture, $"room-{room}");

    private string Preview(string? text)
    {
        if (_options.Preview == "none" || string.IsNullOrEmpty(text))
        {
            return "New message";
        }

        int limit = _options.Preview == "full" ? MaxBody : Math.Min(_options.PreviewLength, MaxBody);
        return Cut(text.ReplaceLineEndings(" "), limit);
    }

    /// <summary>At most <paramref name="limit"/> characters plus an ellipsis, never splitting a user-perceived character.</summary>
    private static string Cut(string text, int limit)
    {
        if (text.Length <= limit)
        {
            return text;
        }

        var elements = StringInfo.GetTextElementEnumerator(text);
        int end = 0;
        while (elements.MoveNext() && elements.ElementIndex + elements.GetTextElement().Length <= limit)
        {
            end = elements.ElementIndex + elements.GetTextElement().Length;
        }

        return text[..end].TrimEnd() + "…";
    }
}
