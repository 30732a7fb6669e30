namespace Lime.Protocol;

/// <summary>
/// Stable error codes shared by REST (the <c>code</c> extension of ProblemDetails) and the socket
/// (<c>error</c> frames). Clients switch on these strings; they never change meaning once released.
/// </summary>
public static class ErrorCodes
{
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string Validation = "validation";
    public const string MessageTooLarge = "message_too_large";
    public const string RateLimited = "rate_limited";
    public const string Conflict = "conflict";
    public const string BadFrame = "bad_frame";
    public const string UnknownType = "unknown_type";
    public const string FrameTooLarge = "frame_too_large";
    public const string Unavailable = "unavailable";

    /// <summary>
    /// The node has too many writes in flight to other nodes (room ownership, docs/operations.md): nothing was sent or
    /// stored; retry shortly with the same client_msg_id (or on another node).
    /// </summary>
    public const string Overloaded = "overloaded";
    public const string Internal = "internal";

    /// <summary>An edit or a sender's delete past its window (<c>Lime:Messages:EditWindowSeconds</c> / <c>DeleteWindowSeconds</c>).</summary>
    public const string WindowExpired = "window_expired";

    /// <summary>The message was deleted for everyone: it cannot be edited, deleted again, reacted to or pinned.</summary>
    public const string MessageDeleted = "message_deleted";

    /// <summary>A per-message, per-room or per-user cap was reached (distinct reactions, pins; sockets of one user: 429 at the upgrade).</summary>
    public const string LimitReached = "limit_reached";

    /// <summary>The user is banned from the room: cannot join, be added, or use an invite until unbanned.</summary>
    public const string Banned = "banned";

    /// <summary>The member is muted in the room (until <c>retry_after_ms</c> when the mute has an end).</summary>
    public const string Muted = "muted";

    /// <summary>One of the two users blocked the other: no direct room between them can be opened or written to.</summary>
    public const string Blocked = "blocked";

    /// <summary>
    /// A display name or room name holds a control or invisible formatting character (bidi overrides, zero-width
    /// space…), has no visible character, or stacks too many combining marks (protocol §2, Names).
    /// </summary>
    public const string InvalidName = "invalid_name";

    /// <summary>The invite code was revoked, has expired or is used up.</summary>
    public const string InviteInvalid = "invite_invalid";

    /// <summary>An upload is larger than <c>Lime:Attachments:MaxFileBytes</c> (refused before the body is read when its length is declared).</summary>
    public const string FileTooLarge = "file_too_large";

    /// <summary>The user's uploads of the last 24 hours would exceed <c>Lime:Attachments:DailyBytesPerUser</c>.</summary>
    public const string QuotaExceeded = "quota_exceeded";

    /// <summary>An image whose pixel count exceeds <c>Lime:Attachments:MaxImagePixels</c> (e.g. a decompression bomb), or that cannot be decoded.</summary>
    public const string ImageRejected = "image_rejected";

    /// <summary>An attachment id on a send that is not the sender's own unused upload (unknown, someone else's, or already on a message).</summary>
    public const string AttachmentInvalid = "attachment_invalid";

    /// <summary>A signed download URL that has expired or whose signature does not match.</summary>
    public const string SignatureInvalid = "signature_invalid";

    /// <summary>A search query with nothing to search for: blank, or only one-letter words and punctuation.</summary>
    public const string QueryTooShort = "query_too_short";

    /// <summary>A search query over 256 characters.</summary>
    public const string QueryTooLong = "query_too_long";

    /// <summary>The account was disabled by an administrator: login and refresh are refused (403).</summary>
    public const string AccountDisabled = "account_disabled";
}

/// <summary>WebSocket close codes LIME uses (4000-4999 is the application range of RFC 6455).</summary>
public static class CloseCodes
{
    /// <summary>No frame (not even a ping) arrived within the idle timeout.</summary>
    public const int IdleTimeout = 4000;

    /// <summary>The device was logged out; log in again before reconnecting. (An open socket outlives its access
    /// token; the token is checked at the upgrade only.)</summary>
    public const int SessionRevoked = 4001;

    /// <summary>The client did not read fast enough and its send queue filled: reconnect and resync from history.</summary>
    public const int SlowConsumer = 4008;

    /// <summary>A frame exceeded the maximum frame size.</summary>
    public const int FrameTooLarge = 4009;

    /// <summary>The server is shutting down; reconnect (to another node) and resync.</summary>
    public const int GoingAway = 4010;
}

/// <summary>Room kinds.</summary>
public static class RoomKinds
{
    public const string Direct = "direct";
    public const string Group = "group";
    public const string Channel = "channel";
}

/// <summary>Member roles, strongest first.</summary>
public static class Roles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";
}

/// <summary>Kinds of room events. Every change to a room is an event with its own seq.</summary>
public static class EventKinds
{
    public const string Message = "message";
    public const string RoomCreated = "room_created";
    public const string MembersJoined = "members_joined";
    public const string MembersAdded = "members_added";
    public const string MemberLeft = "member_left";
    public const string MemberRemoved = "member_removed";
    public const string RoleChanged = "role_changed";
    public const string MessageEdited = "message_edited";
    public const string MessageDeleted = "message_deleted";
    public const string ReactionAdded = "reaction_added";
    public const string ReactionRemoved = "reaction_removed";
    public const string MessagePinned = "message_pinned";
    public const string MessageUnpinned = "message_unpinned";
    public const string RoomUpdated = "room_updated";
    public const string RoomDeleted = "room_deleted";
    public const string MemberBanned = "member_banned";
    public const string MemberUnbanned = "member_unbanned";
    public const string MemberMuted = "member_muted";
    public const string MemberUnmuted = "member_unmuted";
    public const string InviteCreated = "invite_created";
    public const string InviteRevoked = "invite_revoked";
    public const string JoinRequested = "join_requested";
    public const string JoinRejected = "join_rejected";

    /// <summary>Events before <c>target</c> were removed (an administrator's purge or the retention TTL): <c>target</c> is the room's retained start.</summary>
    public const string HistoryPurged = "history_purged";

    /// <summary>The room's message TTL changed: <c>retention_days</c> (0 keeps everything; absent: the server default).</summary>
    public const string RetentionChanged = "retention_changed";
}
