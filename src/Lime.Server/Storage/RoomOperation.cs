namespace Lime.Server.Storage;

/// <summary>
/// An operation by a member on a room or one of its messages, applied by the room writer with an event of its own
/// (its seq the room's next), and its effect on the message's or room's state in the same commit. With a
/// <see cref="ClientMsgId"/>, a repeat of (room, actor, client_msg_id) returns the first outcome, flagged duplicate
/// (the key shares one namespace with the actor's messages in the room). An operation that would change nothing (a
/// reaction already there, a pin already pinned, an edit to the same text) writes no event. Records of primitives
/// only, so they can travel between nodes as JSON.
/// </summary>
public abstract record RoomOperation(long RoomId, long ActorId, string? ClientMsgId) : RoomWrite;

/// <summary>The sender replaces a message's text, within <see cref="WindowMs"/> of sending it.</summary>
public sealed record EditMessage(long RoomId, long ActorId, string? ClientMsgId, long Seq, string Text, long WindowMs)
    : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>Deletes a message for everyone: by its sender within <see cref="WindowMs"/>, by an owner or admin any time.</summary>
public sealed record DeleteMessage(long RoomId, long ActorId, string? ClientMsgId, long Seq, long WindowMs)
    : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>Adds (or removes) the actor's reaction with one emoji; at most <see cref="MaxDistinct"/> distinct emoji per message.</summary>
public sealed record SetReaction(long RoomId, long ActorId, string? ClientMsgId, long Seq, string Emoji, bool Add, int MaxDistinct)
    : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>Pins (or unpins) a message; at most <see cref="MaxPins"/> pinned messages per room.</summary>
public sealed record SetPin(long RoomId, long ActorId, string? ClientMsgId, long Seq, bool Pin, int MaxPins)
    : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>Hides a message for the actor only: private state, no room event.</summary>
public sealed record HideMessage(long RoomId, long ActorId, long Seq) : RoomOperation(RoomId, ActorId, null);

/// <summary>Changes a group's or channel's settings (owners and admins); null = unchanged, "" clears topic or description.</summary>
public sealed record UpdateRoom(long RoomId, long ActorId, string? ClientMsgId, string? Name, string? Topic, string? Description, bool? ApprovalRequired)
    : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>
/// The owner deletes a group or channel: every member leaves with the <c>room_deleted</c> event, the room is gone.
/// <see cref="ByServerAdmin"/>: a server administrator (Lime:Push:AdminUserIds, checked by the admin API) who need not be a member.
/// </summary>
public sealed record DeleteRoom(long RoomId, long ActorId, string? ClientMsgId, bool ByServerAdmin = false) : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>Bans (removing them if a member) or unbans a user. A ban sticks until lifted: no join, add or invite.</summary>
public sealed record SetBan(long RoomId, long ActorId, string? ClientMsgId, long UserId, bool Ban) : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>Mutes a member until <see cref="Until"/> (null: until unmuted), or unmutes them.</summary>
public sealed record SetMute(long RoomId, long ActorId, string? ClientMsgId, long UserId, bool Mute, long? Until) : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>A new invite link with the given (server-generated) code.</summary>
public sealed record CreateInvite(long RoomId, long ActorId, string? ClientMsgId, string Code, long? ExpiresAt, int? MaxUses) : RoomOperation(RoomId, ActorId, ClientMsgId);

public sealed record RevokeInvite(long RoomId, long ActorId, string? ClientMsgId, long InviteId) : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>An owner or admin approves (adds) or rejects a user waiting to join.</summary>
public sealed record ResolveJoinRequest(long RoomId, long ActorId, string? ClientMsgId, long UserId, bool Approve, long MaxMembers)
    : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>
/// A non-member joins by invite code (checked at commit: not revoked, expired or used up; one use counted), or asks to
/// join a channel that requires approval (with or without a code). Banned users are refused.
/// </summary>
public sealed record JoinRoom(long RoomId, long UserId, string? Code, long MaxMembers) : RoomWrite;

/// <summary>
/// A user blocks (or unblocks) another: private, no event. When the two share a direct room (<see cref="RoomId"/>, else
/// 0), the room is marked blocked in the same commit, so no write to it can pass after the block.
/// </summary>
public sealed record SetBlock(long RoomId, long UserId, long PeerId, bool Block) : RoomWrite;
