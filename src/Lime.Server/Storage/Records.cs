namespace Lime.Server.Storage;

// Rows as the stores return them. Numbers are long because that is what SQLite and bigint columns give back.

public sealed record UserRecord(long Id, string Username, string DisplayName, string PasswordHash, long CreatedAt, long? DisabledAt = null);

public sealed record DeviceRecord(long Id, long UserId, string Name, long CreatedAt, long LastSeenAt, long? RevokedAt);

/// <summary>
/// A refresh: <see cref="Device"/> when the token was current (now replaced), else <see cref="ReusedBy"/> (and when
/// it was spent) when it is one of the device's recently spent tokens (reuse: someone else holds a copy), else
/// neither (unknown token).
/// </summary>
public sealed record RefreshRotation(DeviceRecord? Device, long? ReusedBy, long? SpentAt = null);

public sealed record RoomRecord(
    long Id,
    string Kind,
    string? Name,
    string? Topic,
    string? DirectKey,
    long CreatedBy,
    long CreatedAt,
    long LastSeq,
    long LastMsgSeq,
    long LastActivityAt,
    long MemberCount,
    string? Pinned = null,
    string? Description = null,
    long ApprovalRequired = 0,
    long RetainedFrom = 1);

public sealed record ContactRecord(long UserId, string Username, string DisplayName, long? LastSeenAt, bool HideLastSeen);

public sealed record PresenceRecord(long? LastSeenAt, bool HideLastSeen);

public sealed record MemberRecord(long RoomId, long UserId, string Role, long JoinedAt, long JoinedSeq, long ReadSeq);

/// <summary>A room in a user's list, with the user's membership and the newest message (if any).</summary>
public sealed record RoomListRow(RoomRecord Room, MemberRecord Member, Lime.Protocol.EventDto? LastMessage, long UnreadCount);

/// <summary>One emoji on one message: how many reacted, when the earliest current reaction was (its seq), and who (when asked).</summary>
public sealed record ReactionRow(long Target, string Emoji, long Count, long FirstSeq, long[]? Users);
