using Dapper;
using Lime.Protocol;
using Lime.Server.Storage.Sql;

namespace Lime.Server.Push;

/// <summary>Push targets, settings and mutes in SQL: one copy for SQLite and PostgreSQL.</summary>
public sealed class SqlPushStore(ISqlDatabase db) : IPushStore
{
    private const string TargetColumns =
        "t.id AS Id, t.user_id AS UserId, t.device_id AS DeviceId, t.kind AS Kind, t.token AS Token, t.environment AS Environment, " +
        "t.p256dh AS P256dh, t.auth AS Auth, t.created_at AS CreatedAt";

    public async Task<PushTarget> UpsertTargetAsync(long userId, long deviceId, string kind, string token, string? environment, string? p256dh, string? auth, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        using var tx = await c.BeginTransactionAsync(ct);
        var p = new { userId, deviceId, kind, token, environment, p256dh, auth, now };
        // A token belongs to one device: a phone that logged in again (a new device row) takes its token along.
        await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM push_targets WHERE kind = @kind AND token = @token AND device_id <> @deviceId", p, tx, cancellationToken: ct));
        long id = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO push_targets (user_id, device_id, kind, token, environment, p256dh, auth, created_at) " +
            "VALUES (@userId, @deviceId, @kind, @token, @environment, @p256dh, @auth, @now) " +
            "ON CONFLICT (device_id) DO UPDATE SET user_id = excluded.user_id, kind = excluded.kind, token = excluded.token, " +
            "environment = excluded.environment, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at RETURNING id",
            p, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new PushTarget(id, userId, deviceId, kind, token, environment, p256dh, auth, now);
    }

    public async Task<bool> DeleteTargetOfDeviceAsync(long deviceId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM push_targets WHERE device_id = @deviceId", new { deviceId }, cancellationToken: ct)) > 0;
    }

    public async Task<IReadOnlyList<PushTarget>> ListTargetsAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<PushTarget>(new CommandDefinition(
            $"SELECT {TargetColumns} FROM push_targets t JOIN devices d ON d.id = t.device_id AND d.revoked_at IS NULL " +
            "WHERE t.user_id = @userId ORDER BY t.device_id", new { userId }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<PushTarget?> GetTargetAsync(long targetId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PushTarget>(new CommandDefinition(
            $"SELECT {TargetColumns} FROM push_targets t JOIN devices d ON d.id = t.device_id AND d.revoked_at IS NULL WHERE t.id = @targetId",
            new { targetId }, cancellationToken: ct));
    }

    public async Task RemoveTargetsAsync(IReadOnlyCollection<long> targetIds, CancellationToken ct)
    {
        if (targetIds.Count == 0)
        {
            return;
        }

        await using var c = await db.OpenConnectionAsync(ct);
        using var tx = await c.BeginTransactionAsync(ct);
        var p = new { ids = db.Dialect.IdListValue(targetIds) };
        await c.ExecuteAsync(new CommandDefinition($"DELETE FROM push_targets WHERE id IN {db.Dialect.IdList("@ids")}", p, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition($"DELETE FROM push_windows WHERE target_id IN {db.Dialect.IdList("@ids")}", p, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public async Task<PushSettingsRecord> GetSettingsAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PushSettingsRecord>(new CommandDefinition(
            "SELECT level AS Level, quiet_start AS QuietStart, quiet_end AS QuietEnd, time_zone AS TimeZone FROM push_settings WHERE user_id = @userId",
            new { userId }, cancellationToken: ct)) ?? new PushSettingsRecord(PushLevels.All, null, null, null);
    }

    public async Task SetSettingsAsync(long userId, PushSettingsRecord settings, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO push_settings (user_id, level, quiet_start, quiet_end, time_zone) VALUES (@userId, @level, @start, @end, @zone) " +
            "ON CONFLICT (user_id) DO UPDATE SET level = excluded.level, quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, time_zone = excluded.time_zone",
            new { userId, level = settings.Level, start = settings.QuietStart, end = settings.QuietEnd, zone = settings.TimeZone }, cancellationToken: ct));
    }

    public async Task MuteAsync(long userId, long roomId, long? until, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO push_mutes (user_id, room_id, until) VALUES (@userId, @roomId, @until) ON CONFLICT (user_id, room_id) DO UPDATE SET until = excluded.until",
            new { userId, roomId, until }, cancellationToken: ct));
    }

    public async Task UnmuteAsync(long userId, long roomId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM push_mutes WHERE user_id = @userId AND room_id = @roomId", new { userId, roomId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<RoomMuteRecord>> ListMutesAsync(long userId, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<RoomMuteRecord>(new CommandDefinition(
            "SELECT room_id AS RoomId, until AS Until FROM push_mutes WHERE user_id = @userId AND (until IS NULL OR until > @now) ORDER BY room_id",
            new { userId, now }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<PushMessage?> GetMessageAsync(long roomId, long seq, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PushMessage>(new CommandDefinition(
            "SELECT e.room_id AS RoomId, e.seq AS Seq, e.kind AS EventKind, r.kind AS RoomKind, r.name AS RoomName, r.member_count AS MemberCount, " +
            "e.sender_id AS SenderId, u.display_name AS SenderName, e.text AS Text " +
            "FROM events e JOIN rooms r ON r.id = e.room_id JOIN users u ON u.id = e.sender_id WHERE e.room_id = @roomId AND e.seq = @seq",
            new { roomId, seq }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<MessageRecipients>> RecipientsAsync(IReadOnlyCollection<long> outboxIds, long now, CancellationToken ct)
    {
        if (outboxIds.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenConnectionAsync(ct);
        // Plain columns only (see SqlOutboxStore): computed ones are worked out below.
        var rows = await c.QueryAsync<RecipientRow>(new CommandDefinition(
            $"SELECT o.id AS EntryId, e.room_id AS RoomId, e.seq AS Seq, e.kind AS EventKind, r.kind AS RoomKind, r.name AS RoomName, " +
            "r.member_count AS MemberCount, e.sender_id AS SenderId, su.display_name AS SenderName, e.text AS Text, " +
            $"{TargetColumns}, u.username AS Username, s.level AS Level, s.quiet_start AS QuietStart, s.quiet_end AS QuietEnd, s.time_zone AS TimeZone, " +
            "mn.everyone AS MentionEveryone " +
            "FROM outbox o " +
            "JOIN events e ON e.room_id = o.room_id AND e.seq = o.seq AND e.kind = 'message' AND e.deleted_at IS NULL " +
            "JOIN rooms r ON r.id = e.room_id " +
            "JOIN users su ON su.id = e.sender_id " +
            "JOIN members m ON m.room_id = e.room_id AND m.user_id <> e.sender_id AND m.read_seq < e.seq " +
            "JOIN push_targets t ON t.user_id = m.user_id " +
            "JOIN devices d ON d.id = t.device_id AND d.revoked_at IS NULL " +
            "JOIN users u ON u.id = m.user_id " +
            "LEFT JOIN push_settings s ON s.user_id = m.user_id " +
            "LEFT JOIN mentions mn ON mn.user_id = m.user_id AND mn.event_id = e.id " +
            $"WHERE o.id IN {db.Dialect.IdList("@ids")} AND coalesce(s.level, 'all') <> 'none' " +
            // A mention by id gets through a room mute; @room does not.
            "AND (mn.everyone = 0 OR NOT EXISTS (SELECT 1 FROM push_mutes x WHERE x.user_id = m.user_id AND x.room_id = m.room_id AND (x.until IS NULL OR x.until > @now))) " +
            "ORDER BY o.id, t.id",
            new { ids = db.Dialect.IdListValue(outboxIds), now }, cancellationToken: ct));
        return rows.GroupBy(r => r.EntryId).Select(g =>
        {
            var f = g.First();
            var message = new PushMessage(f.RoomId, f.Seq, f.EventKind, f.RoomKind, f.RoomName, f.MemberCount, f.SenderId, f.SenderName, f.Text);
            return new MessageRecipients(g.Key, message, [.. g.Select(r => new PushRecipient(
                new PushTarget(r.Id, r.UserId, r.DeviceId, r.Kind, r.Token, r.Environment, r.P256dh, r.Auth, r.CreatedAt),
                r.Username, r.Level ?? PushLevels.All, r.QuietStart, r.QuietEnd, r.TimeZone, r.MentionEveryone is not null))]);
        }).ToList();
    }

    public async Task<IReadOnlyDictionary<long, long>> UnreadTotalsAsync(IReadOnlyCollection<long> userIds, CancellationToken ct)
    {
        var totals = new Dictionary<long, long>();
        if (userIds.Count == 0)
        {
            return totals;
        }

        await using var c = await db.OpenConnectionAsync(ct);
        using var reader = await c.ExecuteReaderAsync(new CommandDefinition(
            $"SELECT m.user_id, sum((SELECT count(*) FROM events e WHERE e.room_id = m.room_id AND e.seq > m.read_seq AND {SqlRoomStore.CountedMessage} AND e.sender_id <> m.user_id)) " +
            $"FROM members m WHERE m.user_id IN {db.Dialect.IdList("@ids")} GROUP BY m.user_id",
            new { ids = db.Dialect.IdListValue(userIds) }, cancellationToken: ct));
        while (await reader.ReadAsync(ct))
        {
            totals[reader.GetInt64(0)] = reader.IsDBNull(1) ? 0 : Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        }

        return totals;
    }

    private sealed record RecipientRow(
        long EntryId, long RoomId, long Seq, string EventKind, string RoomKind, string? RoomName, long MemberCount, long SenderId, string SenderName, string? Text,
        long Id, long UserId, long DeviceId, string Kind, string Token, string? Environment, string? P256dh, string? Auth, long CreatedAt,
        string Username, string? Level, long? QuietStart, long? QuietEnd, string? TimeZone, long? MentionEveryone);
}
