using Lime.Protocol;
using Lime.Server.Realtime;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>
/// Who of the store's candidates (<see cref="IPushStore.RecipientsAsync"/>: not the sender, unread, not muted, level
/// not none) is actually pushed: not connected to this node (per user or per device, <see cref="PushOptions.Audience"/>),
/// mentioned when they asked for mentions only or the room is large (a direct message always counts as a mention; so do a
/// structured mention, by id or @room, and — for clients that send none — <c>@username</c> in the text), and not inside
/// their quiet hours.
/// </summary>
public sealed class PushAudience(ConnectionRegistry connections, IOptions<LimeOptions> options)
{
    private readonly bool _perDevice = options.Value.Push.Audience == "device";
    private readonly long _largeRoom = options.Value.Push.LargeRoomMembers > 0 ? options.Value.Push.LargeRoomMembers : options.Value.Rooms.LargeRoomMembers;

    /// <summary>A snapshot of who is connected, taken once per batch (per-device lookups scan the registry).</summary>
    public Func<PushTarget, bool> ConnectedSnapshot()
    {
        if (!_perDevice)
        {
            return t => connections.IsConnected(t.UserId);
        }

        var devices = connections.All().Select(c => c.DeviceId).ToHashSet();
        return t => devices.Contains(t.DeviceId);
    }

    public bool ShouldPush(PushMessage message, PushRecipient r, Func<PushTarget, bool> connected, DateTimeOffset now)
    {
        if (connected(r.Target))
        {
            return false;
        }

        bool mentionsOnly = r.Level == PushLevels.Mentions || message.MemberCount > _largeRoom;
        if (mentionsOnly && message.RoomKind != RoomKinds.Direct && !r.Mentioned && !Mentions(message.Text, r.Username))
        {
            return false;
        }

        return !InQuietHours(r.QuietStart, r.QuietEnd, r.TimeZone, now);
    }

    /// <summary>Whether <paramref name="text"/> contains <c>@username</c> (case-insensitive) not followed by another username character.</summary>
    public static bool Mentions(string? text, string username)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        string handle = "@" + username;
        for (int i = text.IndexOf(handle, StringComparison.OrdinalIgnoreCase); i >= 0; i = text.IndexOf(handle, i + 1, StringComparison.OrdinalIgnoreCase))
        {
            int end = i + handle.Length;
            bool boundaryBefore = i == 0 || !IsUsernameChar(text[i - 1]);
            bool boundaryAfter = end == text.Length || !IsUsernameChar(text[end]) || (text[end] == '.' && (end + 1 == text.Length || !IsUsernameChar(text[end + 1])));
            if (boundaryBefore && boundaryAfter)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Quiet hours are [start, end) in minutes of the local day; start &gt; end wraps midnight; start = end is none.</summary>
    public static bool InQuietHours(long? start, long? end, string? timeZone, DateTimeOffset now)
    {
        if (start is not { } s || end is not { } e || s == e)
        {
            return false;
        }

        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(timeZone ?? "UTC", out var z) ? z : TimeZoneInfo.Utc;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        long minute = local.Hour * 60 + local.Minute;
        return s < e ? minute >= s && minute < e : minute >= s || minute < e;
    }

    private static bool IsUsernameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';
}
