using System.Data.Common;
using Lime.Protocol;

namespace Lime.Server.Storage.Sql;

public abstract partial class RoomWriter
{
    /// <summary>
    /// The writer's prepared statements, reused for every write on its one connection; also the row-at-a-time way to
    /// write a run of messages, for backends without whole-run statements (SQLite: in-process, no round trips).
    /// </summary>
    private sealed class Statements : IMessageRunSql
    {
        private readonly DbCommand _findDuplicate;
        private readonly DbCommand _roomAndMember;
        private readonly DbCommand _insertEvent;
        private readonly DbCommand _advanceRoom;
        private readonly DbCommand _advanceRead;
        private readonly DbCommand _insertMember;
        private readonly DbCommand _deleteMember;
        private readonly DbCommand _updateRole;
        private readonly DbCommand _findDirect;
        private readonly DbCommand _insertRoom;
        private readonly DbCommand _getRoom;
        private readonly DbCommand _readSeq;
        private readonly DbCommand _insertOutbox;
        private readonly DbCommand _insertMention;
        private readonly DbCommand[] _all;

        public Statements(DbConnection c, SqlDialect dialect)
        {
            _findDuplicate = Command(c, "SELECT seq, id, created_at FROM events WHERE room_id = @room AND sender_id = @sender AND client_msg_id = @cmid", "@room", "@sender", "@cmid");
            _roomAndMember = Command(c,
                "SELECT r.kind, r.last_seq, r.member_count, m.role, m.muted_until, r.direct_blocked FROM rooms r LEFT JOIN members m ON m.room_id = r.id AND m.user_id = @user " +
                "WHERE r.id = @room AND r.deleted_at IS NULL" + dialect.LockRoom, "@room", "@user");
            _insertEvent = Command(c,
                "INSERT INTO events (room_id, seq, id, kind, sender_id, client_msg_id, text, reply_to, data, created_at) " +
                "VALUES (@room, @seq, @id, @kind, @sender, @cmid, @text, @reply, @data, @at)",
                "@room", "@seq", "@id", "@kind", "@sender", "@cmid", "@text", "@reply", "@data", "@at");
            _advanceRoom = Command(c,
                "UPDATE rooms SET last_seq = @seq, last_msg_seq = CASE WHEN @msg = 1 THEN @seq ELSE last_msg_seq END, " +
                "last_activity_at = @at, member_count = member_count + @delta WHERE id = @room",
                "@room", "@seq", "@msg", "@at", "@delta");
            _advanceRead = Command(c, "UPDATE members SET read_seq = @seq WHERE room_id = @room AND user_id = @user AND read_seq < @seq", "@room", "@user", "@seq");
            _insertMember = Command(c,
                "INSERT INTO members (room_id, user_id, role, joined_at, joined_seq, read_seq) VALUES (@room, @user, @role, @at, @seq, @seq)",
                "@room", "@user", "@role", "@at", "@seq");
            _deleteMember = Command(c, "DELETE FROM members WHERE room_id = @room AND user_id = @user", "@room", "@user");
            _updateRole = Command(c, "UPDATE members SET role = @role WHERE room_id = @room AND user_id = @user", "@room", "@user", "@role");
            _findDirect = Command(c, "SELECT id FROM rooms WHERE direct_key = @key", "@key");
            _insertRoom = Command(c,
                "INSERT INTO rooms (kind, name, name_lower, topic, direct_key, created_by, created_at, last_seq, last_msg_seq, last_activity_at, member_count) " +
                "VALUES (@kind, @name, @lower, @topic, @key, @by, @at, 1, 0, @at, @count) RETURNING id",
                "@kind", "@name", "@lower", "@topic", "@key", "@by", "@at", "@count");
            _getRoom = Command(c, $"SELECT {SqlRoomStore.RoomColumns} FROM rooms r WHERE r.id = @room", "@room");
            _readSeq = Command(c, "SELECT read_seq FROM members WHERE room_id = @room AND user_id = @user", "@room", "@user");
            _insertOutbox = Command(c, "INSERT INTO outbox (room_id, seq, topic, created_at, next_attempt_at) VALUES (@room, @seq, @topic, @at, @at)", "@room", "@seq", "@topic", "@at");
            _insertMention = Command(c, "INSERT INTO mentions (user_id, event_id, room_id, seq, everyone) VALUES (@user, @event, @room, @seq, @everyone)",
                "@user", "@event", "@room", "@seq", "@everyone");
            _all = [_insertMention, _insertOutbox, _readSeq, _findDuplicate, _roomAndMember, _insertEvent, _advanceRoom, _advanceRead, _insertMember, _deleteMember, _updateRole, _findDirect, _insertRoom, _getRoom];
        }

        public void Enlist(DbTransaction tx)
        {
            foreach (var command in _all)
            {
                command.Transaction = tx;
            }
        }

        public (long Seq, long Id, long CreatedAt)? FindDuplicate(long room, long sender, string clientMsgId)
        {
            Bind(_findDuplicate, room, sender, clientMsgId);
            using var r = _findDuplicate.ExecuteReader();
            return r.Read() ? (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)) : null;
        }

        public Dictionary<(long Room, long User), RoomState> LockRooms(DbTransaction tx, IReadOnlyList<AppendMessage> run)
        {
            var states = new Dictionary<(long, long), RoomState>();
            foreach (var (room, sender) in run.Select(m => (m.RoomId, m.SenderId)).Distinct())
            {
                if (RoomAndMember(room, sender) is { } state)
                {
                    states[(room, sender)] = state;
                }
            }

            return states;
        }

        public Dictionary<(long Room, long Sender, string ClientMsgId), StoredMessage> FindDuplicates(DbTransaction tx, IReadOnlyList<AppendMessage> run)
        {
            var found = new Dictionary<(long, long, string), StoredMessage>();
            foreach (var m in run)
            {
                if (FindDuplicate(m.RoomId, m.SenderId, m.ClientMsgId) is { } d)
                {
                    found[(m.RoomId, m.SenderId, m.ClientMsgId)] = new StoredMessage(d.Seq, d.Id, d.CreatedAt);
                }
            }

            return found;
        }

        public void Write(DbTransaction tx, MessageRunRows rows)
        {
            for (int i = 0; i < rows.Count; i++)
            {
                Bind(_insertEvent, rows.Rooms[i], rows.Seqs[i], rows.Ids[i], EventKinds.Message, rows.Senders[i], rows.ClientMsgIds[i], rows.Texts[i], rows.ReplyTos[i], rows.Datas[i], rows.CreatedAts[i]);
                _insertEvent.ExecuteNonQuery();
                foreach (string topic in rows.OutboxTopics)
                {
                    InsertOutbox(rows.Rooms[i], rows.Seqs[i], topic, rows.CreatedAts[i]);
                }
            }

            foreach (var m in rows.Mentions)
            {
                Bind(_insertMention, m.UserId, m.EventId, m.Room, m.Seq, m.Everyone ? 1L : 0L);
                _insertMention.ExecuteNonQuery();
            }

            foreach (var (room, (seq, at)) in rows.RoomAdvances)
            {
                AdvanceRoom(room, seq, at, isMessage: true, memberDelta: 0);
            }

            foreach (var ((room, user), seq) in rows.ReadAdvances)
            {
                AdvanceReadSeq(room, user, seq);
            }
        }

        public RoomState? RoomAndMember(long room, long user)
        {
            Bind(_roomAndMember, room, user);
            using var r = _roomAndMember.ExecuteReader();
            return r.Read() ? new RoomState(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetInt64(4), r.GetInt64(5) != 0) : null;
        }

        public long ReadSeq(long room, long user)
        {
            Bind(_readSeq, room, user);
            return (long)_readSeq.ExecuteScalar()!;
        }

        public void InsertOutbox(long room, long seq, string topic, long at)
        {
            Bind(_insertOutbox, room, seq, topic, at);
            _insertOutbox.ExecuteNonQuery();
        }

        public void InsertEvent(EventDto e, long id)
        {
            Bind(_insertEvent, e.Room, e.Seq, id, e.Kind, e.Sender, e.ClientMsgId, e.Text, e.ReplyTo, EventData.Serialize(e), e.Ts);
            _insertEvent.ExecuteNonQuery();
        }

        public void AdvanceRoom(long room, long seq, long at, bool isMessage, long memberDelta)
        {
            Bind(_advanceRoom, room, seq, isMessage ? 1 : 0, at, memberDelta);
            _advanceRoom.ExecuteNonQuery();
        }

        public void AdvanceReadSeq(long room, long user, long seq)
        {
            Bind(_advanceRead, room, user, seq);
            _advanceRead.ExecuteNonQuery();
        }

        public void InsertMember(long room, long user, string role, long at, long seq)
        {
            Bind(_insertMember, room, user, role, at, seq);
            _insertMember.ExecuteNonQuery();
        }

        public void DeleteMember(long room, long user)
        {
            Bind(_deleteMember, room, user);
            _deleteMember.ExecuteNonQuery();
        }

        public void UpdateRole(long room, long user, string role)
        {
            Bind(_updateRole, room, user, role);
            _updateRole.ExecuteNonQuery();
        }

        public long? FindDirect(string key)
        {
            Bind(_findDirect, key);
            return _findDirect.ExecuteScalar() is long id ? id : null;
        }

        public long InsertRoom(CreateRoom c, long at, int memberCount)
        {
            // Lower-cased here, not by SQLite's ASCII-only lower(), to match the search key's case folding.
            Bind(_insertRoom, c.Kind, c.Name, c.Name?.ToLowerInvariant(), c.Topic, c.DirectKey, c.CreatorId, at, memberCount);
            return (long)_insertRoom.ExecuteScalar()!;
        }

        public RoomRecord GetRoom(long room)
        {
            Bind(_getRoom, room);
            using var r = _getRoom.ExecuteReader();
            r.Read();
            return SqlRoomStore.ReadRoom(r, 0);
        }

        public void Dispose()
        {
            foreach (var command in _all)
            {
                command.Dispose();
            }
        }

        private static DbCommand Command(DbConnection c, string text, params string[] parameters)
        {
            var command = c.CreateCommand();
            command.CommandText = text;
            foreach (string name in parameters)
            {
                SqlRoomStore.Add(command, name, null);
            }

            return command;
        }

        private static void Bind(DbCommand command, params object?[] values)
        {
            for (int i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i] ?? DBNull.Value;
            }
        }
    }
}
