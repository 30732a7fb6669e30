using System.Text.Json.Serialization;
using Lime.Protocol;

namespace Lime.Server.Storage;

/// <summary>
/// A change to a room. Each one is applied atomically with the events it produces (each with the next seq of its
/// room); many are folded into one durable commit. Authorization beyond membership is the caller's job
/// (ChatService); the writer enforces what must hold at commit time: membership of a sender, idempotency,
/// one direct room per pair.
/// Writes travel between nodes as JSON (a node forwards a write to its room's owner, Cluster/ForwardEndpoint.cs): every
/// concrete write is listed here with its type name, and RoomWriteJsonTests checks by reflection that none is missing.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$type")]
[JsonDerivedType(typeof(AppendMessage), "append_message")]
[JsonDerivedType(typeof(CreateRoom), "create_room")]
[JsonDerivedType(typeof(AddMembers), "add_members")]
[JsonDerivedType(typeof(RemoveMember), "remove_member")]
[JsonDerivedType(typeof(SetRole), "set_role")]
[JsonDerivedType(typeof(MarkRead), "mark_read")]
[JsonDerivedType(typeof(JoinRoom), "join_room")]
[JsonDerivedType(typeof(SetBlock), "set_block")]
[JsonDerivedType(typeof(EditMessage), "edit_message")]
[JsonDerivedType(typeof(DeleteMessage), "delete_message")]
[JsonDerivedType(typeof(SetReaction), "set_reaction")]
[JsonDerivedType(typeof(SetPin), "set_pin")]
[JsonDerivedType(typeof(HideMessage), "hide_message")]
[JsonDerivedType(typeof(UpdateRoom), "update_room")]
[JsonDerivedType(typeof(DeleteRoom), "delete_room")]
[JsonDerivedType(typeof(SetBan), "set_ban")]
[JsonDerivedType(typeof(SetMute), "set_mute")]
[JsonDerivedType(typeof(CreateInvite), "create_invite")]
[JsonDerivedType(typeof(RevokeInvite), "revoke_invite")]
[JsonDerivedType(typeof(ResolveJoinRequest), "resolve_join_request")]
[JsonDerivedType(typeof(PurgeHistory), "purge_history")]
[JsonDerivedType(typeof(SetRetention), "set_retention")]
[JsonDerivedType(typeof(EraseUserMessages), "erase_user_messages")]
public abstract record RoomWrite
{
    /// <summary>The existing room this write changes (and locks); 0 for a new room.</summary>
    [JsonIgnore]
    public long RoomKey => this switch
    {
        AppendMessage m => m.RoomId,
        AddMembers a => a.RoomId,
        RemoveMember r => r.RoomId,
        SetRole s => s.RoomId,
        MarkRead r => r.RoomId,
        RoomOperation o => o.RoomId,
        JoinRoom j => j.RoomId,
        SetBlock b => b.RoomId,
        _ => 0,
    };
}

/// <summary>Topics of outbox entries: what kind of side effect an entry stands for.</summary>
public static class OutboxTopics
{
    /// <summary>A new message (room, seq): push notifications for offline members.</summary>
    public const string Message = "message";

    /// <summary>A message (room, seq of the message) to (re-)index for search: written with the message, each edit and a delete for everyone.</summary>
    public const string Search = "search";
}

/// <summary>
/// A message. A repeat of (room, sender, client_msg_id) returns the first ack, flagged duplicate. <see cref="Mentions"/>
/// (distinct, never the sender) are kept for the users who are members at commit; <see cref="MentionRoom"/> is checked
/// at commit against the room's size and the sender's role. <see cref="Attachments"/> (distinct upload ids) must each be the
/// sender's own upload on no message yet; they are bound to this message in its commit (else nothing is stored).
/// </summary>
public sealed record AppendMessage(long RoomId, long SenderId, string ClientMsgId, string? Text, long? ReplyTo, long[]? Mentions = null, bool MentionRoom = false,
    long[]? Attachments = null) : RoomWrite;

/// <summary>A new room with its creator as owner and the other members; for direct rooms, get-or-create by key.</summary>
public sealed record CreateRoom(string Kind, string? Name, string? Topic, long CreatorId, long[] MemberIds, string? DirectKey) : RoomWrite;

/// <summary>Adds users (already-members are skipped); the event lists the users actually added.</summary>
public sealed record AddMembers(long RoomId, long ActorId, long[] UserIds, string EventKind, long MaxMembers) : RoomWrite;

/// <summary>Removes one member; optionally promotes another member to owner in the same commit.</summary>
public sealed record RemoveMember(long RoomId, long ActorId, long UserId, string EventKind, long? PromoteToOwner) : RoomWrite;

public sealed record SetRole(long RoomId, long ActorId, long UserId, string Role) : RoomWrite;

/// <summary>Moves a member's read watermark forward to min(seq, last seq); never backwards. Produces no event.</summary>
public sealed record MarkRead(long RoomId, long UserId, long Seq) : RoomWrite;

/// <summary>
/// What a write produced: the room after it, the events it appended (in seq order), the ack for a message, the
/// member's read watermark after a <see cref="MarkRead"/> (and whether it moved); for a <see cref="RoomOperation"/> the
/// ack of its event (or of the first attempt, flagged duplicate) and whether it changed anything; for a
/// <see cref="PurgeHistory"/> what the batch removed.
/// </summary>
public sealed record RoomWriteResult(RoomRecord? Room, IReadOnlyList<EventDto> Events, AckDto? Ack, long? ReadSeq = null, bool ReadMoved = false, bool Changed = false,
    PurgeOutcome? Purge = null);

/// <summary>
/// The one write path for rooms. A returned result is durable (committed with synchronous=FULL on SQLite).
/// Errors are <see cref="Chat.LimeException"/>s and mean nothing of that write was stored.
/// </summary>
public interface IRoomWriter
{
    Task<RoomWriteResult> WriteAsync(RoomWrite write, CancellationToken ct = default);
}
