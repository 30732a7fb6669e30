using System.Data.Common;
using Dapper;
using Lime.Protocol;
using Lime.Server.Chat;

namespace Lime.Server.Storage.Sql;

/// <summary>
/// History purges and retention (<see cref="PurgeHistory"/>, <see cref="SetRetention"/>): the oldest events of a room
/// leave in bounded batches, each one commit that keeps the invariant "every event with seq &lt; retained_from is gone,
/// every later one is there", so reads need no filter and seq order is never disturbed.
/// </summary>
public abstract partial class RoomWriter
{
    /// <summary>Longest TTL a room may set (ten years).</summary>
    public const int MaxRetentionDays = 3650;

    private RoomWriteResult ApplyPurge(Statements sql, DbConnection c, DbTransaction tx, RoomState state, PurgeHistory p, long now)
    {
        if (p.BeforeSeq < 1 || p.BeforeSeq > state.LastSeq + 1)
        {
            throw LimeException.Validation($"before_seq must be 1-{state.LastSeq + 1} (the room's last seq is {state.LastSeq}).");
        }

        if (p.MaxEvents < 1)
        {
            throw LimeException.Validation("The batch size must be at least 1.");
        }

        var room = new { room = p.RoomId };
        var (from, activity) = c.QuerySingle<(long RetainedFrom, long LastActivityAt)>(
            "SELECT retained_from, last_activity_at FROM rooms WHERE id = @room", room, tx);
        var rows = c.Query<(long Seq, long CreatedAt, string Kind)>(
            "SELECT seq, created_at, kind FROM events WHERE room_id = @room AND seq >= @from AND seq < @before ORDER BY seq LIMIT @max",
            new { room = p.RoomId, from, before = p.BeforeSeq, max = (long)p.MaxEvents }, tx).AsList();
        long end = from;
        long events = 0;
        long messages = 0;
        bool stoppedByTime = false;
        foreach (var row in rows)
        {
            if (p.BeforeTime is { } cutoff && row.CreatedAt >= cutoff)
            {
                stoppedByTime = true;
                break;
            }

            end = row.Seq + 1;
            events++;
            messages += row.Kind == EventKinds.Message ? 1 : 0;
        }

        bool done = stoppedByTime || rows.Count < p.MaxEvents || end >= p.BeforeSeq;
        if (events == 0)
        {
            return new RoomWriteResult(null, [], null, Changed: false, Purge: new PurgeOutcome(0, 0, from, done));
        }

        var range = new { room = p.RoomId, from, end, now };
        // Nobody can read them from this commit on: the attachment sweeper removes them with their blobs.
        c.Execute("UPDATE attachments SET deleted_at = @now WHERE room_id = @room AND seq < @end AND deleted_at IS NULL", range, tx);
        c.Execute("DELETE FROM mentions WHERE room_id = @room AND seq < @end", range, tx);
        c.Execute("DELETE FROM reactions WHERE room_id = @room AND target_seq < @end", range, tx);
        c.Execute("DELETE FROM hidden_messages WHERE room_id = @room AND seq < @end", range, tx);
        if (ReferenceEquals(_db.Dialect, SqlDialect.Sqlite))
        {
            c.Execute("DELETE FROM search_fts WHERE rowid IN (SELECT event_id FROM search_docs WHERE room_id = @room AND seq < @end)", range, tx);
        }

        c.Execute("DELETE FROM search_docs WHERE room_id = @room AND seq < @end", range, tx);
        // A later edit of a removed message holds its text too.
        c.Execute("UPDATE events SET text = NULL WHERE room_id = @room AND target_seq < @end AND kind = 'message_edited' AND seq >= @end", range, tx);
        c.Execute("DELETE FROM events WHERE room_id = @room AND seq >= @from AND seq < @end", range, tx);
        var pins = Pins(c, tx, p.RoomId);
        if (pins.RemoveAll(seq => seq < end) > 0)
        {
            SavePins(c, tx, p.RoomId, pins);
        }

        c.Execute("UPDATE rooms SET retained_from = @end WHERE id = @room", range, tx);
        var outcome = new PurgeOutcome(events, messages, end, done);
        if (messages == 0)
        {
            // Only system events went (e.g. an old history_purged): nothing for members to hear, and no new event
            // that a later pass would remove again.
            return new RoomWriteResult(null, [], null, Changed: true, Purge: outcome);
        }

        var result = Append(sql, c, tx, state, p, EventKinds.HistoryPurged, end, now);
        // Removing old messages is not activity: the room keeps its place in everyone's list.
        c.Execute("UPDATE rooms SET last_activity_at = @activity WHERE id = @room", new { room = p.RoomId, activity }, tx);
        return result with { Purge = outcome };
    }

    private RoomWriteResult ApplyErase(Statements sql, DbConnection c, DbTransaction tx, RoomState state, EraseUserMessages erase, long now)
    {
        var seqs = c.Query<long>(
            "SELECT seq FROM events WHERE room_id = @room AND sender_id = @user AND kind = 'message' AND deleted_at IS NULL ORDER BY seq LIMIT @max",
            new { room = erase.RoomId, user = erase.UserId, max = (long)erase.MaxMessages }, tx).AsList();
        if (seqs.Count == 0)
        {
            return Unchanged();
        }

        var events = new List<EventDto>(seqs.Count);
        var pins = Pins(c, tx, erase.RoomId);
        foreach (long seq in seqs)
        {
            var p = new { now, room = erase.RoomId, seq };
            c.Execute("UPDATE events SET text = NULL, data = NULL, deleted_at = @now WHERE room_id = @room AND seq = @seq", p, tx);
            c.Execute("DELETE FROM mentions WHERE room_id = @room AND seq = @seq", p, tx);
            c.Execute("UPDATE attachments SET deleted_at = @now WHERE room_id = @room AND seq = @seq AND deleted_at IS NULL", p, tx);
            c.Execute("UPDATE events SET text = NULL WHERE room_id = @room AND target_seq = @seq AND kind = 'message_edited'", p, tx);
            c.Execute("DELETE FROM reactions WHERE room_id = @room AND target_seq = @seq", p, tx);
            pins.Remove(seq);
            IndexAgain(sql, erase.RoomId, seq, now);
            events.Add(WriteEvent(sql, c, tx, state, erase.RoomId, erase.UserId, null, EventKinds.MessageDeleted, seq, now));
            state = state with { LastSeq = state.LastSeq + 1 };
        }

        SavePins(c, tx, erase.RoomId, pins);
        return new RoomWriteResult(null, events, null, Changed: true);
    }

    private RoomWriteResult ApplySetRetention(Statements sql, DbConnection c, DbTransaction tx, RoomState state, SetRetention r, long now)
    {
        RequireModerator(state, "change the room's retention");
        if (r.Days is < 0 or > MaxRetentionDays)
        {
            throw LimeException.Validation($"days must be 0-{MaxRetentionDays} (0 keeps everything; null: the server default).");
        }

        long? current = c.ExecuteScalar<long?>("SELECT retention_days FROM rooms WHERE id = @room", new { room = r.RoomId }, tx);
        if (current == r.Days)
        {
            return Unchanged();
        }

        c.Execute("UPDATE rooms SET retention_days = @days WHERE id = @room", new { room = r.RoomId, days = (long?)r.Days }, tx);
        return Append(sql, c, tx, state, r, EventKinds.RetentionChanged, null, now, with: e => e with { RetentionDays = r.Days });
    }
}
