namespace Lime.Server.Push;

// Rows the push stores return. Numbers are long because that is what SQLite and bigint columns give back.

/// <summary>A device's push target. Token: FCM/APNs token, Web Push endpoint, or the webhook's opaque address.</summary>
public sealed record PushTarget(long Id, long UserId, long DeviceId, string Kind, string Token, string? Environment, string? P256dh, string? Auth, long CreatedAt);

/// <summary>
/// A member who may be pushed about a message, one row per target, with their settings; <see cref="Mentioned"/>: the
/// message mentions them (by id or through @room).
/// </summary>
public sealed record PushRecipient(PushTarget Target, string Username, string Level, long? QuietStart, long? QuietEnd, string? TimeZone, bool Mentioned = false);

/// <summary>A message as a push needs it: where, who, what.</summary>
public sealed record PushMessage(long RoomId, long Seq, string EventKind, string RoomKind, string? RoomName, long MemberCount, long SenderId, string SenderName, string? Text);

/// <summary>A message entry's message and the members who may be pushed about it.</summary>
public sealed record MessageRecipients(long EntryId, PushMessage Message, IReadOnlyList<PushRecipient> Recipients);

/// <summary>A user's notification settings (no row = all, no quiet hours).</summary>
public sealed record PushSettingsRecord(string Level, long? QuietStart, long? QuietEnd, string? TimeZone);

public sealed record RoomMuteRecord(long RoomId, long? Until);

/// <summary>A notification about to go through the collapse window: its key, its target, its room.</summary>
public readonly record struct WindowRequest(string Key, long TargetId, long RoomId);

/// <summary>The collapse window's verdict.</summary>
public enum WindowDecision
{
    /// <summary>Push it now (it opened a window, or it is the retry of the push that did).</summary>
    Send,

    /// <summary>Folded into the window's digest (recorded in the ledger; a digest entry is scheduled).</summary>
    Collapsed,
}

/// <summary>What a target's window holds for its digest: messages not yet pushed, their (first) room, whether they span rooms.</summary>
public sealed record DigestState(long Pending, long? RoomId, bool MultiRoom, long Until);

/// <summary>Ledger outcomes.</summary>
public static class LedgerOutcomes
{
    public const string Sent = "sent";
    public const string Collapsed = "collapsed";
    public const string Dropped = "dropped";
}
