using System.Data.Common;
using Dapper;
using Lime.Protocol;

namespace Lime.Server.Storage.Sql;

/// <summary>Reads of rooms, members and events in SQL: one copy of the SQL for SQLite and PostgreSQL.</summary>
public sealed class SqlRoomStore(ISqlDatabase db) : IRoomStore
{
    internal const string RoomColumns =
        "r.id AS Id, r.kind AS Kind, r.name AS Name, r.topic AS Topic, r.direct_key AS DirectKey, r.created_by AS CreatedBy, " +
        "r.created_at AS CreatedAt, r.last_seq AS LastSeq, r.last_msg_seq AS LastMsgSeq, r.last_activity_at AS LastActivityAt, r.member_count AS MemberCount, r.pinned AS Pinned, " +
        "r.description AS Description, r.approval_required AS ApprovalRequired, r.retained_from AS RetainedFrom";

    /// <summary>How many columns <see cref="RoomColumns"/> has (where the next ones start in a combined row).</summary>
    private const int RoomColumnCount = 15;

    private const string MemberColumns =
        "m.room_id AS RoomId, m.user_id AS UserId, m.role AS Role, m.joined_at AS JoinedAt, m.joined_seq AS JoinedSeq, m.read_seq AS ReadSeq";

    internal const string EventColumns = "room_id, seq, id, kind, sender_id, client_msg_id, text, reply_to, data, created_at, target_seq, edited_at, deleted_at";

    /// <summary>A message that counts as unread (alias e): not deleted for everyone.</summary>
    internal const string CountedMessage = "e.kind = 'message' AND e.deleted_at IS NULL";

    public async Task<RoomRecord?> GetRoomAsync(long roomId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<RoomRecord>(new CommandDefinition(
            $"SELECT {RoomColumns} FROM rooms r WHERE r.id = @roomId AND r.deleted_at IS NULL", new { roomId }, cancellationToken: ct));
    }

    public async Task<RoomRecord?> FindDirectAsync(string directKey, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<RoomRecord>(new CommandDefinition(
            $"SELECT {RoomColumns} FROM rooms r WHERE r.direct_key = @directKey", new { directKey }, cancellationToken: ct));
    }

    public async Task<MemberRecord?> GetMemberAsync(long roomId, long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<MemberRecord>(new CommandDefinition(
            $"SELECT {MemberColumns} FROM members m WHERE m.room_id = @roomId AND m.user_id = @userId", new { roomId, userId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<MemberDto>> ListMembersAsync(long roomId, long afterUserId, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long UserId, string Username, string DisplayName, string Role, long JoinedAt, long ReadSeq, long? MutedUntil)>(new CommandDefinition(
            "SELECT m.user_id, u.username, u.display_name, m.role, m.joined_at, m.read_seq, m.muted_until FROM members m JOIN users u ON u.id = m.user_id " +
            "WHERE m.room_id = @roomId AND m.user_id > @afterUserId ORDER BY m.user_id LIMIT @limit",
            new { roomId, afterUserId, limit }, cancellationToken: ct));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return rows.Select(r => new MemberDto(r.UserId, r.Username, r.DisplayName, r.Role, r.JoinedAt, r.ReadSeq, r.MutedUntil > now ? r.MutedUntil : null)).ToList();
    }

    public async Task<long?> OldestMemberWithRoleAsync(long roomId, string role, long except, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "SELECT user_id FROM members WHERE room_id = @roomId AND role = @role AND user_id <> @except ORDER BY joined_seq, user_id LIMIT 1",
            new { roomId, role, except }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<long>> RoomIdsOfUserAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<long>(new CommandDefinition(
            "SELECT room_id FROM members WHERE user_id = @userId", new { userId }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<RoomListRow>> ListRoomsOfUserAsync(long userId, (long ActivityAt, long RoomId)? after, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        using var cmd = c.CreateCommand();
        // Unread = messages after the watermark written by someone else: derived on read, never a stored counter.
        cmd.CommandText =
            $"SELECT {RoomColumns}, {MemberColumns}, " +
            $"(SELECT count(*) FROM events e WHERE e.room_id = r.id AND e.seq > m.read_seq AND {CountedMessage} AND e.sender_id <> m.user_id) AS unread, " +
            "lm.room_id, lm.seq, lm.id, lm.kind, lm.sender_id, lm.client_msg_id, substr(lm.text, 1, 200), lm.reply_to, lm.data, lm.created_at, " +
            "lm.target_seq, lm.edited_at, lm.deleted_at " +
            "FROM members m JOIN rooms r ON r.id = m.room_id " +
            "LEFT JOIN events lm ON lm.room_id = r.id AND lm.seq = r.last_msg_seq " +
            "WHERE m.user_id = @userId AND (@hasCursor = 0 OR r.last_activity_at < @activity OR (r.last_activity_at = @activity AND r.id < @roomId)) " +
            "ORDER BY r.last_activity_at DESC, r.id DESC LIMIT @limit";
        Add(cmd, "@userId", userId);
        Add(cmd, "@hasCursor", after is null ? 0 : 1);
        Add(cmd, "@activity", after?.ActivityAt ?? 0L);
        Add(cmd, "@roomId", after?.RoomId ?? 0L);
        Add(cmd, "@limit", (long)limit);
        var list = new List<RoomListRow>();
        using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var room = ReadRoom(reader, 0);
            const int m = RoomColumnCount;
            var member = new MemberRecord(reader.GetInt64(m), reader.GetInt64(m + 1), reader.GetString(m + 2), reader.GetInt64(m + 3), reader.GetInt64(m + 4), reader.GetInt64(m + 5));
            long unread = reader.GetInt64(m + 6);
            EventDto? last = reader.IsDBNull(m + 7) ? null : ReadEvent(reader, m + 7);
            list.Add(new RoomListRow(room, member, last, unread));
        }

        return list;
    }

    public async Task<IReadOnlyList<RoomRecord>> SearchChannelsAsync(string prefix, (string Name, long RoomId)? after, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        string lower = prefix.ToLowerInvariant();
        // Range scan on (kind, name_lower): [prefix, prefix + U+FFFF).
        var rows = await c.QueryAsync<RoomRecord>(new CommandDefinition(
            $"SELECT {RoomColumns} FROM rooms r WHERE r.kind = 'channel' AND r.deleted_at IS NULL AND r.name_lower >= @lower AND r.name_lower < @upper " +
            "AND (@hasCursor = 0 OR r.name_lower > @afterName OR (r.name_lower = @afterName AND r.id > @afterId)) " +
            "ORDER BY r.name_lower, r.id LIMIT @limit",
            new { lower, upper = lower + '\uffff', hasCursor = after is null ? 0 : 1, afterName = after?.Name ?? "", afterId = after?.RoomId ?? 0, limit },
            cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<EventDto>> ListMentionsAsync(long userId, long beforeEventId, int limit, long maxTextChars, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        using var cmd = c.CreateCommand();
        // Walks the user's mentions newest first (primary key order) and keeps those still readable by them.
        cmd.CommandText =
            $"SELECT {string.Join(", ", EventColumns.Split(", ").Select(col => "e." + col))} FROM mentions mn " +
            "JOIN members m ON m.room_id = mn.room_id AND m.user_id = mn.user_id " +
            "JOIN rooms r ON r.id = mn.room_id AND r.deleted_at IS NULL " +
            "JOIN events e ON e.room_id = mn.room_id AND e.seq = mn.seq AND e.deleted_at IS NULL " +
            "WHERE mn.user_id = @user AND mn.event_id < @before " +
            "AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = mn.user_id AND h.room_id = mn.room_id AND h.seq = mn.seq) " +
            "ORDER BY mn.event_id DESC LIMIT @limit";
        Add(cmd, "@user", userId);
        Add(cmd, "@before", beforeEventId);
        Add(cmd, "@limit", (long)limit);
        var list = new List<EventDto>(Math.Min(limit, 256));
        using var reader = await cmd.ExecuteReaderAsync(ct);
        long chars = 0;
        while (chars <= maxTextChars && await reader.ReadAsync(ct))
        {
            var e = ReadEvent(reader, 0);
            chars += e.Text?.Length ?? 0;
            list.Add(e);
        }

        return list;
    }

    public async Task<IReadOnlyList<EventDto>> GetEventsAsync(long roomId, long afterSeq, long beforeSeq, int limit, bool newestFirst, long maxTextChars, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {EventColumns} FROM events WHERE room_id = @room AND seq > @after AND seq < @before ORDER BY seq {(newestFirst ? "DESC" : "ASC")} LIMIT @limit";
        Add(cmd, "@room", roomId);
        Add(cmd, "@after", afterSeq);
        Add(cmd, "@before", beforeSeq);
        Add(cmd, "@limit", (long)limit);
        var list = new List<EventDto>(Math.Min(limit, 256));
        long chars = 0;
        using var reader = await cmd.ExecuteReaderAsync(ct);
        while (chars <= maxTextChars && await reader.ReadAsync(ct))
        {
            var e = ReadEvent(reader, 0);
            chars += e.Text?.Length ?? 0;
            list.Add(e);
        }

        if (newestFirst)
        {
            list.Reverse();
        }

        return list;
    }

    public async Task<IReadOnlyList<EventDto>[]> GetEventsBatchAsync(IReadOnlyList<EventRange> ranges, long maxTotalTextChars, CancellationToken ct)
    {
        var results = new IReadOnlyList<EventDto>[ranges.Count];
        if (ranges.Count == 0)
        {
            return results;
        }

        await using var c = await db.OpenConnectionAsync(ct);
        using var asc = EventsCommand(c, newestFirst: false);
        using var desc = EventsCommand(c, newestFirst: true);
        long total = 0;
        for (int i = 0; i < ranges.Count; i++)
        {
            var r = ranges[i];
            if (total > maxTotalTextChars)
            {
                results[i] = [];
                continue;
            }

            var cmd = r.NewestFirst ? desc : asc;
            cmd.Parameters[0].Value = r.Room;
            cmd.Parameters[1].Value = r.AfterSeq;
            cmd.Parameters[2].Value = r.BeforeSeq;
            cmd.Parameters[3].Value = (long)r.Limit;
            var list = new List<EventDto>(Math.Min(r.Limit, 256));
            long chars = 0;
            using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (chars <= r.MaxTextChars && total <= maxTotalTextChars && await reader.ReadAsync(ct))
                {
                    var e = ReadEvent(reader, 0);
                    int length = e.Text?.Length ?? 0;
                    chars += length;
                    total += length;
                    list.Add(e);
                }
            }

            if (r.NewestFirst)
            {
                list.Reverse();
            }

            results[i] = list;
        }

        return results;
    }

    public async Task<IReadOnlyList<(long Room, MemberRead Read)>> GetReadsAsync(IReadOnlyCollection<long> roomIds, CancellationToken ct)
    {
        if (roomIds.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long Room, long User, long Seq)>(new CommandDefinition(
            $"SELECT room_id, user_id, read_seq FROM members WHERE room_id IN {db.Dialect.IdList("@rooms")}",
            new { rooms = db.Dialect.IdListValue(roomIds) },
            cancellationToken: ct));
        return rows.Select(r => (r.Room, new MemberRead(r.User, r.Seq))).ToList();
    }

    public async Task<long> CountUnreadAsync(long roomId, long userId, long afterSeq, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM events e WHERE e.room_id = @roomId AND e.seq > @afterSeq AND {CountedMessage} AND e.sender_id <> @userId",
            new { roomId, userId, afterSeq }, cancellationToken: ct));
    }

    public async Task<long> TotalUnreadAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT CAST(coalesce(sum((SELECT count(*) FROM events e WHERE e.room_id = m.room_id AND e.seq > m.read_seq AND {CountedMessage} AND e.sender_id <> m.user_id)), 0) AS BIGINT) " +
            "FROM members m WHERE m.user_id = @userId",
            new { userId }, cancellationToken: ct));
    }

    private static DbCommand EventsCommand(DbConnection c, bool newestFirst)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {EventColumns} FROM events WHERE room_id = @room AND seq > @after AND seq < @before ORDER BY seq {(newestFirst ? "DESC" : "ASC")} LIMIT @limit";
        foreach (string name in new[] { "@room", "@after", "@before", "@limit" })
        {
            Add(cmd, name, 0L);
        }

        return cmd;
    }

    internal static void Add(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }

    public async Task<IReadOnlyList<long>> SmallRoomMatesAsync(long userId, int maxMembers, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<long>(new CommandDefinition(
            "SELECT DISTINCT o.user_id FROM members m JOIN rooms r ON r.id = m.room_id JOIN members o ON o.room_id = m.room_id " +
            "WHERE m.user_id = @userId AND r.member_count <= @maxMembers AND o.user_id <> @userId",
            new { userId, maxMembers }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<ReactionRow>> GetReactionsAsync(long roomId, long fromSeq, long toSeq, bool withUsers, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var p = new { roomId, fromSeq, toSeq };
        if (!withUsers)
        {
            var counts = await c.QueryAsync<(long Target, string Emoji, long Count, long FirstSeq)>(new CommandDefinition(
                "SELECT target_seq, emoji, count(*), min(seq) FROM reactions WHERE room_id = @roomId AND target_seq >= @fromSeq AND target_seq <= @toSeq " +
                "GROUP BY target_seq, emoji ORDER BY target_seq, min(seq)", p, cancellationToken: ct));
            return counts.Select(r => new ReactionRow(r.Target, r.Emoji, r.Count, r.FirstSeq, null)).ToList();
        }

        var rows = await c.QueryAsync<(long Target, string Emoji, long User, long Seq)>(new CommandDefinition(
            "SELECT target_seq, emoji, user_id, seq FROM reactions WHERE room_id = @roomId AND target_seq >= @fromSeq AND target_seq <= @toSeq ORDER BY target_seq, seq",
            p, cancellationToken: ct));
        return rows.GroupBy(r => (r.Target, r.Emoji))
            .Select(g => new ReactionRow(g.Key.Target, g.Key.Emoji, g.Count(), g.First().Seq, [.. g.Select(r => r.User)]))
            .OrderBy(r => r.Target).ThenBy(r => r.FirstSeq)
            .ToList();
    }

    public async Task<IReadOnlyList<(long Room, long Seq)>> GetHiddenAsync(long userId, IReadOnlyCollection<long> roomIds, CancellationToken ct)
    {
        if (roomIds.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long Room, long Seq)>(new CommandDefinition(
            $"SELECT room_id, seq FROM hidden_messages WHERE user_id = @userId AND room_id IN {db.Dialect.IdList("@rooms")} ORDER BY room_id, seq",
            new { userId, rooms = db.Dialect.IdListValue(roomIds) }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task PingAsync(CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        // A statement valid in both dialects that reads the schema (SQLite opens the file lazily): "sqlite_schema"
        // made /readyz fail forever on PostgreSQL.
        await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM rooms WHERE id = 0", cancellationToken: ct));
    }

    internal static RoomRecord ReadRoom(DbDataReader r, int o) => new(
        r.GetInt64(o), r.GetString(o + 1), r.IsDBNull(o + 2) ? null : r.GetString(o + 2), r.IsDBNull(o + 3) ? null : r.GetString(o + 3),
        r.IsDBNull(o + 4) ? null : r.GetString(o + 4), r.GetInt64(o + 5), r.GetInt64(o + 6), r.GetInt64(o + 7), r.GetInt64(o + 8),
        r.GetInt64(o + 9), r.GetInt64(o + 10), r.IsDBNull(o + 11) ? null : r.GetString(o + 11), r.IsDBNull(o + 12) ? null : r.GetString(o + 12), r.GetInt64(o + 13), r.GetInt64(o + 14));

    /// <summary>Reads the columns of <see cref="EventColumns"/> starting at <paramref name="o"/>.</summary>
    internal static EventDto ReadEvent(DbDataReader r, int o)
    {
        var data = EventData.Parse(r.IsDBNull(o + 8) ? null : r.GetString(o + 8));
        bool deleted = !r.IsDBNull(o + 12);
        return new EventDto(
            Id: r.GetInt64(o + 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Room: r.GetInt64(o),
            Seq: r.GetInt64(o + 1),
            Kind: r.GetString(o + 3),
            Sender: r.GetInt64(o + 4),
            Ts: r.GetInt64(o + 9),
            Text: r.IsDBNull(o + 6) ? null : r.GetString(o + 6),
            ReplyTo: r.IsDBNull(o + 7) ? null : r.GetInt64(o + 7),
            ClientMsgId: r.IsDBNull(o + 5) ? null : r.GetString(o + 5),
            Users: data?.Users,
            Role: data?.Role,
            Name: data?.Name,
            Target: r.IsDBNull(o + 10) ? null : r.GetInt64(o + 10),
            Emoji: data?.Emoji,
            Topic: data?.Topic,
            Description: data?.Description,
            ApprovalRequired: data?.ApprovalRequired,
            Until: data?.Until,
            Invite: data?.Invite,
            MaxUses: data?.MaxUses,
            Mentions: data?.Mentions,
            MentionRoom: data?.MentionRoom,
            Attachments: data?.Attachments,
            RetentionDays: data?.RetentionDays,
            EditedAt: r.IsDBNull(o + 11) ? null : r.GetInt64(o + 11),
            Deleted: deleted ? true : null);
    }
}
