namespace Lime.Protocol;

// REST request and response bodies. JSON names are snake_case (see LimeJsonContext).
// Times are Unix milliseconds (UTC). Message ids are 64-bit Snowflakes written as strings, because
// JavaScript numbers lose precision above 2^53; user and room ids are plain numbers.

public sealed record RegisterRequest(string Username, string Password, string? DisplayName = null, string? DeviceName = null);

public sealed record LoginRequest(string Username, string Password, string? DeviceName = null);

public sealed record RefreshRequest(string RefreshToken);

public sealed record TokenResponse(string AccessToken, string RefreshToken, int ExpiresIn, long DeviceId, UserDto User);

public sealed record UserDto(long Id, string Username, string DisplayName, long CreatedAt);

public sealed record UpdateProfileRequest(string? DisplayName);

public sealed record DeviceDto(long Id, string Name, long CreatedAt, long LastSeenAt, bool Current);

public sealed record CreateRoomRequest(string Kind, string? Name = null, string? Topic = null, long[]? Members = null);

public sealed record CreateDirectRequest(long UserId);

public sealed record RoomDto(
    long Id,
    string Kind,
    string? Name,
    string? Topic,
    long CreatedBy,
    long CreatedAt,
    long LastSeq,
    long LastActivityAt,
    int MemberCount,
    string? MyRole,
    long? Peer,
    long[]? Pinned = null,
    string? Description = null,
    bool? ApprovalRequired = null);

/// <summary>One row of a user's room list: the room, its newest message, and the user's read state.</summary>
public sealed record RoomSummaryDto(RoomDto Room, EventDto? LastMessage, long ReadSeq, long UnreadCount);

public sealed record RoomListResponse(RoomSummaryDto[] Rooms, string? NextCursor);

public sealed record ChannelListResponse(RoomDto[] Channels, string? NextCursor);

public sealed record MemberDto(long UserId, string Username, string DisplayName, string Role, long JoinedAt, long ReadSeq, long? MutedUntil = null);

public sealed record MemberListResponse(MemberDto[] Members, string? NextCursor);

public sealed record AddMembersRequest(long[] UserIds);

public sealed record SetRoleRequest(string Role);

/// <summary>
/// POST api/rooms/{id}/messages. <c>mentions</c>: user ids the message mentions (members only; others are dropped
/// silently); <c>mention_room</c>: it mentions everyone (<c>@room</c>, subject to the room's size and the sender's role).
/// <c>attachments</c>: ids of the sender's own uploads not yet on a message (at most <c>Lime:Attachments:MaxPerMessage</c>);
/// <c>text</c> may then be absent or blank.
/// </summary>
public sealed record SendMessageRequest(string ClientMsgId, string? Text, long? ReplyTo = null, long[]? Mentions = null, bool? MentionRoom = null,
    string[]? Attachments = null);

/// <summary>The acknowledgement of a durable send. Returned again, unchanged, for a retry with the same client_msg_id.</summary>
public sealed record AckDto(string Id, long Room, long Seq, long Ts, string ClientMsgId, bool Duplicate);

/// <summary>
/// A room event: a message, an operation on a message (edit, delete, reaction, pin), or a system event (room
/// created, members joined/added/left/removed, role changed). <c>users</c>, <c>role</c> and <c>name</c> are set on
/// system events; <c>text</c>, <c>reply_to</c> and <c>client_msg_id</c> on messages (<c>client_msg_id</c> also on
/// operations sent with one); <c>target</c> (the seq of the message operated on) and <c>emoji</c> on operations;
/// <c>mentions</c> (the members it mentions) and <c>mention_room</c> (<c>@room</c>) on messages that have them;
/// <c>attachments</c> (photos and files, docs/protocol.md §13) on messages that carry them, gone once deleted for everyone.
/// On <c>message</c> events read from history or sync, <c>edited_at</c>, <c>deleted</c>, <c>reactions</c> and
/// <c>hidden</c> give the message's state as of the read (see docs/protocol.md §5, "Message state").
/// </summary>
public sealed record EventDto(
    string Id,
    long Room,
    long Seq,
    string Kind,
    long Sender,
    long Ts,
    string? Text = null,
    long? ReplyTo = null,
    string? ClientMsgId = null,
    long[]? Users = null,
    string? Role = null,
    string? Name = null,
    long? Target = null,
    string? Emoji = null,
    long? EditedAt = null,
    bool? Deleted = null,
    ReactionDto[]? Reactions = null,
    bool? Hidden = null,
    string? Topic = null,
    string? Description = null,
    bool? ApprovalRequired = null,
    long? Until = null,
    long? Invite = null,
    int? MaxUses = null,
    long[]? Mentions = null,
    bool? MentionRoom = null,
    AttachmentDto[]? Attachments = null,
    int? RetentionDays = null);

/// <summary>
/// The users who reacted to a message with one emoji, in the order they reacted (<c>users</c> in small rooms only;
/// large rooms get <c>count</c> alone).
/// </summary>
public sealed record ReactionDto(string Emoji, int Count, long[]? Users = null);

/// <summary>
/// GET api/me/mentions: messages that mention the caller (by id or through <c>@room</c>) in rooms they are still a
/// member of, newest first, with their current text; deleted and hidden ones are left out.
/// </summary>
public sealed record MentionListResponse(EventDto[] Mentions, string? NextCursor);

/// <summary>
/// A page of events in ascending seq order. <c>as_of</c>: the room's last seq when the page was read; the state of
/// the page's messages includes every operation up to it (apply only operations with a higher seq to them).
/// </summary>
/// <remarks><c>retained_from</c>: the oldest seq the room still keeps, when older events were removed (purge or retention); nothing before it can be fetched, so <c>has_more_before</c> stops there.</remarks>
public sealed record HistoryPage(EventDto[] Events, bool HasMoreBefore, bool HasMoreAfter, long AsOf = 0, long? RetainedFrom = null);

/// <summary>PATCH api/rooms/{id}/messages/{seq}: the new text. <c>client_msg_id</c> (optional) makes a retry safe.</summary>
public sealed record EditMessageRequest(string Text, string? ClientMsgId = null);

/// <summary>
/// The outcome of an operation on a message or room. <c>changed</c> false: it was already so (no event). Otherwise
/// <c>id</c>, <c>seq</c>, <c>ts</c> are those of the operation's event; <c>duplicate</c> true for a retry with the
/// same <c>client_msg_id</c> (the first outcome again).
/// </summary>
public sealed record OperationAckDto(long Room, bool Changed, bool Duplicate, string? Id = null, long? Seq = null, long? Ts = null, string? ClientMsgId = null);

public sealed record HealthResponse(string Status);

/// <summary>The last seq a device has of one room.</summary>
public sealed record SyncCursor(long Room, long Seq);

public sealed record SyncRequest(SyncCursor[]? Cursors = null, int? LimitPerRoom = null);

/// <summary>
/// Catch-up for one room. Without <c>snapshot</c>, <c>events</c> are exactly the events after the device's cursor
/// (up to the limit; <c>has_more</c> = continue with history after the last one). With <c>snapshot</c> (a room new to
/// the device, or too far behind) <c>events</c> are the newest page and the device should drop what it had for the
/// room; older events are in history (before the first one).
/// </summary>
public sealed record SyncRoom(
    RoomDto Room,
    EventDto[] Events,
    bool Snapshot,
    bool HasMore,
    long ReadSeq,
    long UnreadCount,
    MemberRead[]? Reads,
    long[]? Hidden = null,
    long? RetainedFrom = null);

/// <summary>A member's read watermark (small rooms only).</summary>
public sealed record MemberRead(long User, long Seq);

/// <summary>One round trip of catch-up: every room of the user, and the rooms the device knew but the user left.</summary>
public sealed record SyncResponse(SyncRoom[] Rooms, long[] Left, long TotalUnread, long ServerTime);

public sealed record MarkReadRequest(long Seq);

/// <summary>The caller's read state in a room after marking.</summary>
public sealed record ReadStateDto(long Room, long ReadSeq, long UnreadCount);

public sealed record ReadersResponse(long Room, long Seq, MemberRead[] ReadBy, int UnreadBy);

public sealed record BadgeResponse(long TotalUnread);

/// <summary>A contact. <c>online</c> and <c>last_seen</c> are shown only when the contact is mutual (both added each other) and neither blocked the other.</summary>
public sealed record ContactDto(long UserId, string Username, string DisplayName, bool Online, long? LastSeen, bool Mutual = false);

public sealed record AddContactRequest(long UserId);

/// <summary>A user's presence as the caller may see it (last_seen absent when the user hides it).</summary>
public sealed record PresenceDto(long UserId, bool Online, long? LastSeen);

public sealed record PrivacyRequest(bool HideLastSeen);

/// <summary>A LIME node clients can connect to, with its load (open connections).</summary>
public sealed record NodeDto(int NodeId, string Url, int Connections);

/// <summary>PATCH api/rooms/{id}: the settings to change (absent = unchanged; "" clears topic or description).</summary>
public sealed record UpdateRoomRequest(string? Name = null, string? Topic = null, string? Description = null, bool? ApprovalRequired = null, string? ClientMsgId = null);

/// <summary>PUT api/rooms/{id}/members/{userId}/mute: for how long (absent = until unmuted).</summary>
public sealed record MuteMemberRequest(long? DurationSeconds = null);

public sealed record BanDto(long UserId, long BannedBy, long BannedAt);

public sealed record BanListResponse(BanDto[] Bans);

/// <summary>POST api/rooms/{id}/invites: optional expiry and number of uses.</summary>
public sealed record CreateInviteRequest(long? ExpiresInSeconds = null, int? MaxUses = null);

/// <summary>An invite link's code and limits (shown to owners and admins only).</summary>
public sealed record InviteDto(long Id, long Room, string Code, long CreatedBy, long CreatedAt, long? ExpiresAt, int? MaxUses, int Uses, bool Revoked);

public sealed record InviteListResponse(InviteDto[] Invites);

/// <summary>What an invite code leads to, for anyone signed in who holds it.</summary>
public sealed record InvitePreviewDto(long Room, string Kind, string? Name, string? Topic, int MemberCount, bool ApprovalRequired);

/// <summary>The outcome of joining: the room (joined), or pending approval by an owner or admin.</summary>
public sealed record JoinResultDto(bool Pending, RoomDto? Room = null);

public sealed record JoinRequestDto(long UserId, string Username, string DisplayName, long RequestedAt);

public sealed record JoinRequestListResponse(JoinRequestDto[] Requests);

public sealed record BlockDto(long UserId, string Username, string DisplayName, long CreatedAt);

public sealed record BlockListResponse(BlockDto[] Blocks);
