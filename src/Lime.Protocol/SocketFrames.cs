using System.Text.Json.Serialization;

namespace Lime.Protocol;

/// <summary>
/// Every frame a client may send. One flat shape: <c>type</c> selects the operation, <c>id</c> (optional, chosen
/// by the client) is echoed on the reply so requests and replies can be paired, the other fields belong to
/// particular types (see docs/protocol.md).
/// </summary>
public sealed record ClientFrame
{
    public string? Type { get; init; }
    public string? Id { get; init; }
    public long? Room { get; init; }
    public string? ClientMsgId { get; init; }
    public string? Text { get; init; }
    public long? ReplyTo { get; init; }
    public long? Before { get; init; }
    public long? After { get; init; }
    public long? Around { get; init; }
    public int? Limit { get; init; }

    /// <summary><c>read</c>: the seq the user has read up to.</summary>
    public long? Seq { get; init; }

    /// <summary><c>sync</c>: the last seq this device has, per room; rooms not listed are new to the device.</summary>
    public SyncCursor[]? Cursors { get; init; }

    /// <summary><c>sync</c>: most events returned per room (default 100).</summary>
    public int? LimitPerRoom { get; init; }

    /// <summary><c>react</c>, <c>unreact</c>: the emoji (one grapheme cluster that is an emoji).</summary>
    public string? Emoji { get; init; }

    /// <summary><c>send</c>: user ids the message mentions (non-members are dropped at commit).</summary>
    public long[]? Mentions { get; init; }

    /// <summary><c>send</c>: the message mentions everyone in the room (<c>@room</c>).</summary>
    public bool? MentionRoom { get; init; }

    /// <summary><c>send</c>: ids of the sender's own uploads the message carries (docs/protocol.md §13).</summary>
    public string[]? Attachments { get; init; }

    /// <summary><c>search</c>: the query (with <see cref="Mode"/> <c>text</c> or <c>initials</c>, <see cref="From"/> a
    /// sender, <see cref="Cursor"/>, and <see cref="Before"/>/<see cref="After"/> as Unix ms times).</summary>
    public string? Q { get; init; }

    public string? Mode { get; init; }

    public long? From { get; init; }

    public string? Cursor { get; init; }
}

/// <summary>Client frame types.</summary>
public static class ClientFrameTypes
{
    public const string Ping = "ping";
    public const string Send = "send";
    public const string History = "history";
    public const string Sync = "sync";
    public const string Read = "read";
    public const string Typing = "typing";

    /// <summary>Operations on the message at <c>seq</c> (see docs/protocol.md §5); each answers <c>op_ack</c>.</summary>
    public const string Edit = "edit";
    public const string Delete = "delete";
    public const string React = "react";
    public const string Unreact = "unreact";
    public const string Pin = "pin";
    public const string Unpin = "unpin";
    public const string Hide = "hide";

    /// <summary>Message search (docs/protocol.md §14); answers a <c>search</c> frame.</summary>
    public const string Search = "search";
}

/// <summary>Server frame types.</summary>
public static class ServerFrameTypes
{
    public const string Hello = "hello";
    public const string Pong = "pong";
    public const string Ack = "ack";
    public const string Event = "event";
    public const string History = "history";
    public const string Error = "error";
    public const string Sync = "sync";
    public const string Read = "read";
    public const string Typing = "typing";
    public const string Presence = "presence";
    public const string OpAck = "op_ack";
    public const string Hidden = "hidden";
    public const string Mention = "mention";
    public const string Search = "search";
}

/// <summary>The reply to a <c>search</c> frame: hits newest first, <c>next_cursor</c> for older ones.</summary>
public sealed record SearchFrame(string? Id, SearchHitDto[] Hits, string? NextCursor)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Search;
}

/// <summary>
/// First frame on every connection. <c>large_room_members</c>: rooms with more members than this are large (no
/// typing, no per-member read receipts, no presence fanout; <c>Lime:Rooms:LargeRoomMembers</c>).
/// </summary>
public sealed record HelloFrame(
    long UserId,
    long DeviceId,
    string ConnectionId,
    long ServerTime,
    int HeartbeatIntervalMs,
    int IdleTimeoutMs,
    int MaxTextBytes,
    int MaxFrameBytes,
    int LargeRoomMembers)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Hello;
}

public sealed record PongFrame(string? Id, long Ts)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Pong;
}

public sealed record AckFrame(string? Id, AckDto Ack)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Ack;
}

public sealed record EventFrame(EventDto Event)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Event;
}

public sealed record HistoryFrame(string? Id, long Room, EventDto[] Events, bool HasMoreBefore, bool HasMoreAfter)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.History;
}

/// <summary>The reply to a <c>sync</c> request: everything the device missed, in one frame.</summary>
public sealed record SyncFrame(string? Id, SyncResponse Sync)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Sync;
}

/// <summary>
/// A member's read watermark moved (to the member's own devices; in small rooms to every member). As the reply to
/// a <c>read</c> request it carries that request's <c>id</c>.
/// </summary>
public sealed record ReadFrame(string? Id, long Room, long User, long Seq)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Read;
}

/// <summary>A member is typing in a small room; the indicator expires by itself after <c>expires_in_ms</c>.</summary>
public sealed record TypingFrame(long Room, long User, int ExpiresInMs)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Typing;
}

/// <summary>A contact's or room-mate's presence changed. <c>last_seen</c> is absent when the user hides it.</summary>
public sealed record PresenceFrame(long User, bool Online, long? LastSeen)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Presence;
}

/// <summary>The reply to an operation frame (<c>edit</c>, <c>delete</c>, <c>react</c>, …).</summary>
public sealed record OpAckFrame(string? Id, OperationAckDto Ack)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.OpAck;
}

/// <summary>This user hid a message for themself (to the user's own connections; also the reply to <c>hide</c>).</summary>
public sealed record HiddenFrame(string? Id, long Room, long Seq)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Hidden;
}

/// <summary>
/// The user was mentioned by name (<c>mentions</c>) in the message at <c>seq</c>: to every connection of the mentioned
/// user, after the commit, at most once. The message itself arrives as an <c>event</c> like any other.
/// </summary>
public sealed record MentionFrame(long Room, long Seq, long Sender)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Mention;
}

public sealed record ErrorFrame(string? Id, string Code, string Message, int? RetryAfterMs = null)
{
    [JsonPropertyOrder(-1)]
    public string Type => ServerFrameTypes.Error;
}

/// <summary>Just enough of a server frame to route it on the client.</summary>
public sealed record ServerFrameHeader
{
    public string? Type { get; init; }
    public string? Id { get; init; }
}
