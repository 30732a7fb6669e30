using System.Data.Common;
using Lime.Protocol;
using Lime.Server.Storage.Sql;
using Npgsql;
using NpgsqlTypes;

namespace Lime.Server.Storage.Postgres;

/// <summary>
/// A run of messages in three round trips whatever its length (a fourth when some mention members): lock its rooms,
/// look up retries, then one <see cref="NpgsqlBatch"/> inserting every event, mention and outbox row and advancing every room and read watermark. The
/// rows travel as arrays (unnest), so each statement's text is fixed and stays prepared.
/// </summary>
internal sealed class PostgresMessageRunSql(NpgsqlConnection connection) : IMessageRunSql
{
    private const string LockRoomsSql =
        "SELECT p.room, p.usr, r.kind, r.last_seq, r.member_count, m.role, m.muted_until, r.direct_blocked " +
        "FROM rooms r JOIN unnest(@rooms, @users) AS p(room, usr) ON r.id = p.room AND r.deleted_at IS NULL " +
        "LEFT JOIN members m ON m.room_id = p.room AND m.user_id = p.usr " +
        "ORDER BY r.id FOR UPDATE OF r"; // one lock order for every writer on every node: no deadlocks

    private const string FindDuplicatesSql =
        "SELECT e.room_id, e.sender_id, e.client_msg_id, e.seq, e.id, e.created_at " +
        "FROM unnest(@rooms, @senders, @cmids) AS k(room, sender, cmid) " +
        "JOIN events e ON e.room_id = k.room AND e.sender_id = k.sender AND e.client_msg_id = k.cmid";

    private const string InsertEventsSql =
        "INSERT INTO events (room_id, seq, id, kind, sender_id, client_msg_id, text, reply_to, data, created_at) " +
        "SELECT room, seq, id, @kind, sender, cmid, text, reply, data, at " +
        "FROM unnest(@rooms, @seqs, @ids, @senders, @cmids, @texts, @replies, @datas, @ats) AS u(room, seq, id, sender, cmid, text, reply, data, at)";

    private const string InsertMentionsSql =
        "INSERT INTO mentions (user_id, event_id, room_id, seq, everyone) " +
        "SELECT * FROM unnest(@users, @events, @rooms, @seqs, @everyone)";

    private const string InsertOutboxSql =
        "INSERT INTO outbox (room_id, seq, topic, created_at, next_attempt_at) " +
        "SELECT room, seq, t.topic, at, at FROM unnest(@rooms, @seqs, @ats) AS u(room, seq, at) CROSS JOIN unnest(@topics) AS t(topic)";

    private const string AdvanceRoomsSql =
        "UPDATE rooms r SET last_seq = u.seq, last_msg_seq = u.seq, last_activity_at = u.at " +
        "FROM unnest(@rooms, @seqs, @ats) AS u(room, seq, at) WHERE r.id = u.room";

    private const string AdvanceReadsSql =
        "UPDATE members m SET read_seq = u.seq FROM unnest(@rooms, @users, @seqs) AS u(room, usr, seq) " +
        "WHERE m.room_id = u.room AND m.user_id = u.usr AND m.read_seq < u.seq";

    public Dictionary<(long Room, long User), RoomState> LockRooms(DbTransaction tx, IReadOnlyList<AppendMessage> run)
    {
        var pairs = run.Select(m => (m.RoomId, m.SenderId)).Distinct().ToArray();
        using var command = new NpgsqlCommand(LockRoomsSql, connection, (NpgsqlTransaction)tx);
        command.Parameters.Add(Array("rooms", pairs.Select(p => p.RoomId).ToArray()));
        command.Parameters.Add(Array("users", pairs.Select(p => p.SenderId).ToArray()));
        var states = new Dictionary<(long, long), RoomState>(pairs.Length);
        using var r = command.ExecuteReader();
        while (r.Read())
        {
            states[(r.GetInt64(0), r.GetInt64(1))] = new RoomState(r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5),
                r.IsDBNull(6) ? null : r.GetInt64(6), r.GetInt64(7) != 0);
        }

        return states;
    }

    public Dictionary<(long Room, long Sender, string ClientMsgId), StoredMessage> FindDuplicates(DbTransaction tx, IReadOnlyList<AppendMessage> run)
    {
        using var command = new NpgsqlCommand(FindDuplicatesSql, connection, (NpgsqlTransaction)tx);
        command.Parameters.Add(Array("rooms", run.Select(m => m.RoomId).ToArray()));
        command.Parameters.Add(Array("senders", run.Select(m => m.SenderId).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("cmids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. run.Select(m => m.ClientMsgId)] });
        var found = new Dictionary<(long, long, string), StoredMessage>();
        using var r = command.ExecuteReader();
        while (r.Read())
        {
            found[(r.GetInt64(0), r.GetInt64(1), r.GetString(2))] = new StoredMessage(r.GetInt64(3), r.GetInt64(4), r.GetInt64(5));
        }

        return found;
    }

    public void Write(DbTransaction tx, MessageRunRows rows)
    {
        using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction)tx);

        var events = new NpgsqlBatchCommand(InsertEventsSql);
        events.Parameters.Add(new NpgsqlParameter<string>("kind", NpgsqlDbType.Text) { TypedValue = EventKinds.Message });
        events.Parameters.Add(Array("rooms", [.. rows.Rooms]));
        events.Parameters.Add(Array("seqs", [.. rows.Seqs]));
        events.Parameters.Add(Array("ids", [.. rows.Ids]));
        events.Parameters.Add(Array("senders", [.. rows.Senders]));
        events.Parameters.Add(new NpgsqlParameter<string[]>("cmids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.ClientMsgIds] });
        events.Parameters.Add(new NpgsqlParameter<string?[]>("texts", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Texts] });
        events.Parameters.Add(new NpgsqlParameter<long?[]>("replies", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. rows.ReplyTos] });
        events.Parameters.Add(new NpgsqlParameter<string?[]>("datas", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.Datas] });
        events.Parameters.Add(Array("ats", [.. rows.CreatedAts]));
        batch.BatchCommands.Add(events);

        if (rows.Mentions.Count > 0)
        {
            var mentions = new NpgsqlBatchCommand(InsertMentionsSql);
            mentions.Parameters.Add(Array("users", [.. rows.Mentions.Select(m => m.UserId)]));
            mentions.Parameters.Add(Array("events", [.. rows.Mentions.Select(m => m.EventId)]));
            mentions.Parameters.Add(Array("rooms", [.. rows.Mentions.Select(m => m.Room)]));
            mentions.Parameters.Add(Array("seqs", [.. rows.Mentions.Select(m => m.Seq)]));
            mentions.Parameters.Add(Array("everyone", [.. rows.Mentions.Select(m => m.Everyone ? 1L : 0L)]));
            batch.BatchCommands.Add(mentions);
        }

        // Side effects leave through the outbox, in the same commit as the messages.
        var outbox = new NpgsqlBatchCommand(InsertOutboxSql);
        outbox.Parameters.Add(new NpgsqlParameter<string[]>("topics", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. rows.OutboxTopics] });
        outbox.Parameters.Add(Array("rooms", [.. rows.Rooms]));
        outbox.Parameters.Add(Array("seqs", [.. rows.Seqs]));
        outbox.Parameters.Add(Array("ats", [.. rows.CreatedAts]));
        batch.BatchCommands.Add(outbox);

        var roomAdvances = rows.RoomAdvances.ToArray();
        var advanceRooms = new NpgsqlBatchCommand(AdvanceRoomsSql);
        advanceRooms.Parameters.Add(Array("rooms", roomAdvances.Select(a => a.Key).ToArray()));
        advanceRooms.Parameters.Add(Array("seqs", roomAdvances.Select(a => a.Value.Seq).ToArray()));
        advanceRooms.Parameters.Add(Array("ats", roomAdvances.Select(a => a.Value.At).ToArray()));
        batch.BatchCommands.Add(advanceRooms);

        var readAdvances = rows.ReadAdvances.ToArray();
        var advanceReads = new NpgsqlBatchCommand(AdvanceReadsSql);
        advanceReads.Parameters.Add(Array("rooms", readAdvances.Select(a => a.Key.Room).ToArray()));
        advanceReads.Parameters.Add(Array("users", readAdvances.Select(a => a.Key.User).ToArray()));
        advanceReads.Parameters.Add(Array("seqs", readAdvances.Select(a => a.Value).ToArray()));
        batch.BatchCommands.Add(advanceReads);

        batch.ExecuteNonQuery();
    }

    public void Dispose()
    {
        // Commands are per call; the connection belongs to the writer.
    }

    private static NpgsqlParameter<long[]> Array(string name, long[] values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = values };
}
