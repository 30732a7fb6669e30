namespace Lime.Server.Storage;

/// <summary>
/// Removes the room's oldest events, up to <see cref="MaxEvents"/> in one commit (a bounded batch): every event with
/// seq &lt; <see cref="BeforeSeq"/> and, with <see cref="BeforeTime"/>, older than it (created_at &lt; BeforeTime, taken
/// in seq order up to the first event that is not). Their text, data, attachments (left for the attachment sweeper),
/// mentions, reactions, hidden marks, pins and search entries go in the same commit, and so does the text of later
/// edit events of those messages; the room's <c>retained_from</c> moves to the first seq kept. Seqs are never reused
/// and later events keep theirs. A batch that removed a message writes a <c>history_purged</c> event (target = the
/// retained start) without moving the room's activity time. An administrator (admin API) or the retention job
/// (<see cref="ActorId"/> 0) only: no membership is needed.
/// </summary>
public sealed record PurgeHistory(long RoomId, long ActorId, long BeforeSeq, long? BeforeTime, int MaxEvents) : RoomOperation(RoomId, ActorId, null);

/// <summary>The room's message TTL in days (owners and admins of groups and channels): 0 keeps everything, null returns to the server default.</summary>
public sealed record SetRetention(long RoomId, long ActorId, string? ClientMsgId, int? Days) : RoomOperation(RoomId, ActorId, ClientMsgId);

/// <summary>What one <see cref="PurgeHistory"/> batch did; <see cref="Done"/>: nothing more to remove for that bound.</summary>
public sealed record PurgeOutcome(long RemovedEvents, long RemovedMessages, long RetainedFrom, bool Done);

/// <summary>
/// Account deletion: up to <see cref="MaxMessages"/> of the user's live messages in the room are deleted for everyone,
/// as a delete by their sender would (text, data, attachments, mentions, reactions, pin, search entry; each with its
/// message_deleted event), oldest first; no membership needed (they may have left). <see cref="RoomWriteResult.Changed"/>
/// false: none was left.
/// </summary>
public sealed record EraseUserMessages(long RoomId, long UserId, int MaxMessages) : RoomOperation(RoomId, UserId, null);
