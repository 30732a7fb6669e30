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
