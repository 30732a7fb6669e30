using System.Data.Common;
using System.Text.Json;
using Dapper;
using Lime.Protocol;
using Lime.Server.Chat;

namespace Lime.Server.Storage.Sql;

/// <summary>
/// Operations on messages (<see cref="RoomOperation"/>): each is checked against the locked room and the message as
/// they are at commit, then writes its event and its effect on the message's state (text, edited_at, deleted_at,
/// reactions, the room's pins) in the same transaction. Checks come before the first write, so a refusal leaves
/// nothing behind.
/// </summary>
public abstract partial class RoomWriter
{
    private const string MessageRowSql = "SELECT kind AS Kind, sender_id AS Sender, created_at AS CreatedAt, deleted_at AS DeletedAt, edited_at AS EditedAt, text AS Text FROM events WHERE room_id = @room AND seq = @seq";

    private RoomWriteResult ApplyOperation(Statements sql, DbTransaction tx, RoomOperation op)
    {
        var c = tx.Connection!;
        if (op.ClientMsgId is { } key && sql.FindDuplicate(op.RoomId, op.ActorId, key) is { } d)
        {
            return new RoomWriteResult(null, [], new AckDto(Id(d.Id), op.RoomId, d.Seq, d.CreatedAt, key, Duplicate: true), Changed: true);
        }

        var state = sql.RoomAndMember(op.RoomId, op.ActorId) ?? throw LimeException.NotFound("No such room.");
        if (state.Role is null && op is not DeleteRoom { ByServerAdmin: true } && op is not (PurgeHistory or EraseUserMessages))
        {
            throw LimeException.Forbidden("You are not a member of this room.");
        }

        long now = Now();
        return op switch
        {
            EditMessage e => ApplyEdit(sql, c, tx, state, e, now),
            DeleteMessage del => ApplyDelete(sql, c, tx, state, del, now),
            SetReaction r => ApplyReaction(sql, c, tx, state, r),
            SetPin p => ApplyPin(sql, c, tx, state, p),
            HideMessage h => ApplyHide(c, tx, h),
            UpdateRoom u => ApplyUpdateRoom(sql, c, tx, state, u, now),
            DeleteRoom gone => ApplyDeleteRoom(sql, c, tx, state, gone, now),
            PurgeHistory purge => ApplyPurge(sql, c, tx, state, purge, now),
            SetRetention r => ApplySetRetention(sql, c, tx, state, r, now),
            EraseUserMessages erase => ApplyErase(sql, c, tx, state, erase, now),
            SetBan b => ApplySetBan(sql, c, tx, state, b, now),
            SetMute m => ApplySetMute(sql, c, tx, state, m, now),
            CreateInvite i => ApplyCreateInvite(sql, c, tx, state, i, now),
            RevokeInvite r => ApplyRevokeInvite(sql, c, tx, state, r, now),
            ResolveJoinRequest j => ApplyResolveJoinRequest(sql, c, tx, state, j, now),
            _ => throw new InvalidOperationException($"Unknown operation {op.GetType().Name}"),
        };
    }

    private RoomWriteResult ApplyEdit(Statements sql, DbConnection c, DbTransaction tx, RoomState state, EditMessage e, long now)
    {
        if (Refusal(state) is { } refused)
        {
            throw refused;
        }

        var message = LiveMessage(c, tx, e.RoomId, e.Seq);
        if (message.Sender != e.ActorId)
        {
            throw LimeException.Forbidden("Only the sender can edit a message.");
        }

        if (now - message.CreatedAt > e.WindowMs)
        {
            throw new LimeException(ErrorCodes.WindowExpired, "The edit window of this message has passed.");
        }

        if (message.Text == e.Text)
        {
            return Unchanged();
        }

        // edited_at never moves backwards (nodes' clocks may differ a little). The original is not kept, for anyone: the message row takes the new text, and earlier edit events of the
        // message lose theirs, so the newest edit event is the only other copy of the current text.
        c.Execute("UPDATE events SET text = @text, edited_at = @now WHERE room_id = @room AND seq = @seq",
            new { text = e.Text, now = Math.Max(now, message.EditedAt ?? 0), room = e.RoomId, seq = e.Seq }, tx);
        c.Execute("UPDATE events SET text = NULL WHERE room_id = @room AND target_seq = @seq AND kind = 'message_edited'",
            new { room = e.RoomId, seq = e.Seq }, tx);
        IndexAgain(sql, e.RoomId, e.Seq, now);
        return Append(sql, c, tx, state, e, EventKinds.MessageEdited, e.Seq, now, text: e.Text);
    }

    private RoomWriteResult ApplyDelete(Statements sql, DbConnection c, DbTransaction tx, RoomState state, DeleteMessage del, long now)
    {
        var message = LiveMessage(c, tx, del.RoomId, del.Seq);
        bool moderator = state.Role is Roles.Owner or Roles.Admin;
        if (message.Sender != del.ActorId && !moderator)
        {
            throw LimeException.Forbidden("Only the sender, the owner and admins can delete a message.");
        }

        if (!moderator && now - message.CreatedAt > del.WindowMs)
        {
            throw new LimeException(ErrorCodes.WindowExpired, "The delete window of this message has passed.");
        }

        // A tombstone: the text leaves the store (the message and every edit of it), with its reactions, pin, mentions and attachments.
        c.Execute("UPDATE events SET text = NULL, data = NULL, deleted_at = @now WHERE room_id = @room AND seq = @seq", new { now, room = del.RoomId, seq = del.Seq }, tx);
        c.Execute("DELETE FROM mentions WHERE room_id = @room AND seq = @seq", new { room = del.RoomId, seq = del.Seq }, tx);
        // Its attachments too: unreadable from this commit on, their blobs removed by the attachment sweeper.
        c.Execute("UPDATE attachments SET deleted_at = @now WHERE room_id = @room AND seq = @seq", new { now, room = del.RoomId, seq = del.Seq }, tx);
        c.Execute("UPDATE events SET text = NULL WHERE room_id = @room AND target_seq = @seq AND kind = 'message_edited'", new { room = del.RoomId, seq = del.Seq }, tx);
        c.Execute("DELETE FROM reactions WHERE room_id = @room AND target_seq = @seq", new { room = del.RoomId, seq = del.Seq }, tx);
        var pins = Pins(c, tx, del.RoomId);
        if (pins.Remove(del.Seq))
        {
            SavePins(c, tx, del.RoomId, pins);
        }

        IndexAgain(sql, del.RoomId, del.Seq, now);
        return Append(sql, c, tx, state, del, EventKinds.MessageDeleted, del.Seq, now);
    }

    /// <summary>The message's text changed (edit) or went (delete): its search entry is redone from its state, in this commit.</summary>
    private void IndexAgain(Statements sql, long room, long seq, long now)
    {
        if (_searchEnabled)
        {
            sql.InsertOutbox(room, seq, OutboxTopics.Search, now);
        }
    }

    private RoomWriteResult ApplyReaction(Statements sql, DbConnection c, DbTransaction tx, RoomState state, SetReaction r)
    {
        if (r.Add && Refusal(state) is { } refused)
        {
            throw refused;
        }

        LiveMessage(c, tx, r.RoomId, r.Seq);
        var key = new { room = r.RoomId, seq = r.Seq, emoji = r.Emoji, user = r.ActorId };
        bool present = c.ExecuteScalar<long>(
            "SELECT count(*) FROM reactions WHERE room_id = @room AND target_seq = @seq AND emoji = @emoji AND user_id = @user", key, tx) > 0;
        if (present == r.Add)
        {
            return Unchanged();
        }

        long eventSeq = state.LastSeq + 1;
        if (r.Add)
        {
            bool emojiUsed = c.ExecuteScalar<long>("SELECT count(*) FROM reactions WHERE room_id = @room AND target_seq = @seq AND emoji = @emoji", key, tx) > 0;
            if (!emojiUsed && c.ExecuteScalar<long>("SELECT count(DISTINCT emoji) FROM reactions WHERE room_id = @room AND target_seq = @seq", key, tx) >= r.MaxDistinct)
            {
                throw new LimeException(ErrorCodes.LimitReached, $"A message can have at most {r.MaxDistinct} different reactions.");
            }

            c.Execute("INSERT INTO reactions (room_id, target_seq, emoji, user_id, seq) VALUES (@room, @seq, @emoji, @user, @eventSeq)",
                new { key.room, key.seq, key.emoji, key.user, eventSeq }, tx);
        }
        else
        {
            c.Execute("DELETE FROM reactions WHERE room_id = @room AND target_seq = @seq AND emoji = @emoji AND user_id = @user", key, tx);
        }

        return Append(sql, c, tx, state, r, r.Add ? EventKinds.ReactionAdded : EventKinds.ReactionRemoved, r.Seq, Now(), emoji: r.Emoji);
    }

    private RoomWriteResult ApplyPin(Statements sql, DbConnection c, DbTransaction tx, RoomState state, SetPin p)
    {
        // Direct rooms have no admins: either member may pin there.
        if (state.Kind != RoomKinds.Direct && state.Role is not (Roles.Owner or Roles.Admin))
        {
            throw LimeException.Forbidden("Only the owner and admins can pin messages.");
        }

        var pins = Pins(c, tx, p.RoomId);
        if (p.Pin)
        {
            LiveMessage(c, tx, p.RoomId, p.Seq);
            if (pins.Contains(p.Seq))
            {
                return Unchanged();
            }

            if (pins.Count >= p.MaxPins)
            {
                throw new LimeException(ErrorCodes.LimitReached, $"A room can have at most {p.MaxPins} pinned messages.");
            }

            pins.Insert(0, p.Seq); // newest pin first
        }
        else if (!pins.Remove(p.Seq))
        {
            return Unchanged();
        }

        SavePins(c, tx, p.RoomId, pins);
        return Append(sql, c, tx, state, p, p.Pin ? EventKinds.MessagePinned : EventKinds.MessageUnpinned, p.Seq, Now());
    }

    private static RoomWriteResult ApplyHide(DbConnection c, DbTransaction tx, HideMessage h)
    {
        if (c.QuerySingleOrDefault<MessageRow>(MessageRowSql, new { room = h.RoomId, seq = h.Seq }, tx) is not { Kind: EventKinds.Message })
        {
            throw LimeException.NotFound("No message with that seq in this room.");
        }

        int added = c.Execute("INSERT INTO hidden_messages (user_id, room_id, seq) VALUES (@user, @room, @seq) ON CONFLICT DO NOTHING",
            new { user = h.ActorId, room = h.RoomId, seq = h.Seq }, tx);
        return new RoomWriteResult(null, [], null, Changed: added > 0);
    }

    /// <summary>The message at seq, which must exist and not be deleted.</summary>
    private static MessageRow LiveMessage(DbConnection c, DbTransaction tx, long room, long seq)
    {
        var message = c.QuerySingleOrDefault<MessageRow>(MessageRowSql, new { room, seq }, tx);
        if (message is not { Kind: EventKinds.Message })
        {
            throw LimeException.NotFound("No message with that seq in this room.");
        }

        if (message.DeletedAt is not null)
        {
            throw new LimeException(ErrorCodes.MessageDeleted, "That message was deleted.");
        }

        return message;
    }

    /// <summary>Writes the operation's event with the room's next seq and advances the room.</summary>
    private RoomWriteResult Append(Statements sql, DbConnection c, DbTransaction tx, RoomState state, RoomOperation op, string kind, long? target, long now,
        string? text = null, string? emoji = null, Func<EventDto, EventDto>? with = null, long memberDelta = 0)
    {
        var e = WriteEvent(sql, c, tx, state, op.RoomId, op.ActorId, op.ClientMsgId, kind, target, now, text, emoji, with, memberDelta);
        return new RoomWriteResult(null, [e], new AckDto(e.Id, op.RoomId, e.Seq, now, op.ClientMsgId ?? "", Duplicate: false), Changed: true);
    }

    private EventDto WriteEvent(Statements sql, DbConnection c, DbTransaction tx, RoomState state, long room, long actor, string? clientMsgId, string kind, long? target,
        long now, string? text = null, string? emoji = null, Func<EventDto, EventDto>? with = null, long memberDelta = 0)
    {
        long seq = state.LastSeq + 1;
        long id = _ids.Next();
        var e = new EventDto(Id(id), room, seq, kind, actor, now, Text: text, ClientMsgId: clientMsgId, Target: target, Emoji: emoji);
        e = with?.Invoke(e) ?? e;
        c.Execute(
            "INSERT INTO events (room_id, seq, id, kind, sender_id, client_msg_id, text, reply_to, data, created_at, target_seq) " +
            "VALUES (@Room, @Seq, @id, @Kind, @Sender, @ClientMsgId, @Text, NULL, @data, @Ts, @Target)",
            new { e.Room, e.Seq, id, e.Kind, e.Sender, e.ClientMsgId, e.Text, data = EventData.Serialize(e), e.Ts, e.Target }, tx);
        sql.AdvanceRoom(room, seq, now, isMessage: false, memberDelta: memberDelta);
        return e;
    }

    /// <summary>Why this member may not post in this room now (blocked direct room, muted), or null.</summary>
    private static LimeException? Refusal(RoomState state)
    {
        if (state.Blocked)
        {
            return new LimeException(ErrorCodes.Blocked, "One of you blocked the other; this direct room is closed.");
        }

        long now = Now();
        if (state.MutedUntil is { } until && until > now)
        {
            return until == long.MaxValue
                ? new LimeException(ErrorCodes.Muted, "You are muted in this room.")
                : new LimeException(ErrorCodes.Muted, "You are muted in this room for now.", TimeSpan.FromMilliseconds(until - now));
        }

        return null;
    }

    private static RoomWriteResult Unchanged() => new(null, [], null, Changed: false);

    private static List<long> Pins(DbConnection c, DbTransaction tx, long room)
    {
        string? json = c.ExecuteScalar<string?>("SELECT pinned FROM rooms WHERE id = @room", new { room }, tx);
        return json is null ? [] : [.. JsonSerializer.Deserialize(json, StorageJsonContext.Default.Int64Array) ?? []];
    }

    private static void SavePins(DbConnection c, DbTransaction tx, long room, List<long> pins) =>
        c.Execute("UPDATE rooms SET pinned = @pinned WHERE id = @room",
            new { room, pinned = pins.Count == 0 ? null : JsonSerializer.Serialize(pins.ToArray(), StorageJsonContext.Default.Int64Array) }, tx);

    /// <summary>A message row as operations see it.</summary>
    private sealed record MessageRow(string Kind, long Sender, long CreatedAt, long? DeletedAt, long? EditedAt, string? Text);
}
