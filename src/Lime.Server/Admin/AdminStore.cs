using Dapper;
using Lime.Protocol;
using Lime.Server.Storage.Sql;

namespace Lime.Server.Admin;

/// <summary>
/// The admin API's reads and its few direct writes (account flags, the audit), in SQL for SQLite and PostgreSQL.
/// Room changes never come here: they go through the room writer as events.
/// </summary>
public sealed class AdminStore(ISqlDatabase db)
{
    private const string UserColumns =
        "u.id AS Id, u.username AS Username, u.display_name AS DisplayName, u.created_at AS CreatedAt, u.disabled_at AS DisabledAt, " +
        "u.deleted_at AS DeletedAt, CAST((SELECT count(*) FROM devices d WHERE d.user_id = u.id AND d.revoked_at IS NULL) AS BIGINT) AS LiveDevices";

    private const string RoomColumns =
        "r.id AS Id, r.kind AS Kind, r.name AS Name, r.created_by AS CreatedBy, r.created_at AS CreatedAt, r.member_count AS MemberCount, " +
        "r.last_seq AS LastSeq, r.last_activity_at AS LastActivityAt, r.retained_from AS RetainedFrom, r.retention_days AS RetentionDays, r.deleted_at AS DeletedAt";

    /// <summary>Users whose id is <paramref name="id"/> or whose (lower-case) username starts with <paramref name="prefix"/>, by username.</summary>
    public async Task<IReadOnlyList<AdminUserDto>> FindUsersAsync(string prefix, long? id, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM users u WHERE u.id = @id OR u.username LIKE @pattern ESCAPE '\\' ORDER BY u.username LIMIT @limit",
            new { id = id ?? -1, pattern = LikePrefix(prefix), limit }, cancellationToken: ct));
        return [.. rows.Select(r => r.ToDto())];
    }

    public async Task<AdminUserDto?> GetUserAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            $"SELECT {UserColumns} FROM users u WHERE u.id = @id", new { id }, cancellationToken: ct));
        return row?.ToDto();
    }

    /// <summary>Sets or clears disabled_at; false when the user does not exist (or is deleted).</summary>
    public async Task<bool> SetDisabledAsync(long id, long? at, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            at is null
                ? "UPDATE users SET disabled_at = NULL WHERE id = @id AND deleted_at IS NULL"
                : "UPDATE users SET disabled_at = coalesce(disabled_at, @at) WHERE id = @id AND deleted_at IS NULL",
            new { id, at }, cancellationToken: ct)) > 0;
    }

    /// <summary>Groups and channels whose name starts with <paramref name="prefix"/> (case-insensitive), or the room <paramref name="id"/> of any kind.</summary>
    public async Task<IReadOnlyList<AdminRoomDto>> FindRoomsAsync(string prefix, long? id, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<RoomRow>(new CommandDefinition(
            $"SELECT {RoomColumns} FROM rooms r WHERE r.id = @id OR (@prefix <> '' AND r.name_lower LIKE @pattern ESCAPE '\\') ORDER BY r.name_lower, r.id LIMIT @limit",
            new { id = id ?? -1, prefix, pattern = LikePrefix(prefix.ToLowerInvariant()), limit }, cancellationToken: ct));
        return [.. rows.Select(r => r.ToDto())];
    }

    public async Task<AdminRoomDto?> GetRoomAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<RoomRow>(new CommandDefinition(
            $"SELECT {RoomColumns} FROM rooms r WHERE r.id = @id", new { id }, cancellationToken: ct));
        return row?.ToDto();
    }

    /// <summary>Counts for /api/admin/stats. Messages: live (not deleted) message events; per day from <paramref name="since"/> (UTC days).</summary>
    public async Task<(long Users, long Rooms, long Messages, IReadOnlyList<(long Day, long Count)> PerDay)> CountsAsync(long since, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        long users = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM users WHERE deleted_at IS NULL", cancellationToken: ct));
        long rooms = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM rooms WHERE deleted_at IS NULL", cancellationToken: ct));
        long messages = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM events WHERE kind = 'message' AND deleted_at IS NULL", cancellationToken: ct));
        var perDay = await c.QueryAsync<(long Day, long Count)>(new CommandDefinition(
            "SELECT created_at / 86400000 AS day, count(*) AS n FROM events WHERE kind = 'message' AND deleted_at IS NULL AND created_at >= @since GROUP BY created_at / 86400000 ORDER BY 1",
            new { since }, cancellationToken: ct));
        return (users, rooms, messages, perDay.AsList());
    }

    public async Task AuditAsync(long adminId, string action, string? target, string? parameters, string outcome, int status, long at, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO admin_audit (admin_id, action, target, parameters, outcome, status, at) VALUES (@adminId, @action, @target, @parameters, @outcome, @status, @at)",
            new { adminId, action, target, parameters, outcome, status = (long)status, at }, cancellationToken: ct));
    }

    /// <summary>Audit rows newest first, older than <paramref name="beforeId"/>.</summary>
    public async Task<IReadOnlyList<AuditEntryDto>> ListAuditAsync(long beforeId, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<AuditRow>(new CommandDefinition(
            "SELECT id AS Id, admin_id AS AdminId, action AS Action, target AS Target, parameters AS Parameters, outcome AS Outcome, status AS Status, at AS At " +
            "FROM admin_audit WHERE id < @beforeId ORDER BY id DESC LIMIT @limit",
            new { beforeId, limit }, cancellationToken: ct));
        return [.. rows.Select(r => new AuditEntryDto(r.Id, r.AdminId, r.Action, r.Target, r.Parameters, r.Outcome, (int)r.Status, r.At))];
    }

    /// <summary>
    /// Live rooms after <paramref name="afterId"/> (by id) whose oldest kept event is older than their TTL allows:
    /// their own retention_days, else <paramref name="defaultDays"/>; 0 keeps everything. With each, the cutoff (Unix ms).
    /// </summary>
    public async Task<IReadOnlyList<(long RoomId, long Cutoff, long LastSeq)>> RoomsDueForRetentionAsync(long afterId, long now, int defaultDays, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long RoomId, long Cutoff, long LastSeq)>(new CommandDefinition(
            "SELECT r.id, @now - coalesce(r.retention_days, @defaultDays) * 86400000 AS cutoff, r.last_seq FROM rooms r " +
            "WHERE r.id > @afterId AND r.deleted_at IS NULL AND coalesce(r.retention_days, @defaultDays) > 0 " +
            "AND (SELECT e.created_at FROM events e WHERE e.room_id = r.id AND e.seq >= r.retained_from ORDER BY e.seq LIMIT 1) < @now - coalesce(r.retention_days, @defaultDays) * 86400000 " +
            "ORDER BY r.id LIMIT @limit",
            new { afterId, now, defaultDays = (long)defaultDays, limit = (long)limit }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>Rooms holding live (not deleted) messages of the user, by id. Scans events (no index by sender): account deletion only.</summary>
    public async Task<IReadOnlyList<long>> RoomsWithMessagesOfAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<long>(new CommandDefinition(
            "SELECT DISTINCT room_id FROM events WHERE sender_id = @userId AND kind = 'message' AND deleted_at IS NULL ORDER BY room_id",
            new { userId }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>
    /// The last step of an account deletion, one commit: the profile is anonymised (username deleted-{id}, display name
    /// "Deleted account", an unusable password hash, no last-seen), device names blanked, and what only concerned the
    /// user removed: contacts (both ways), blocks (both ways), push targets, settings and mutes, hidden marks,
    /// mentions, spent refresh tokens; their uploads are marked for the attachment sweeper.
    /// </summary>
    public async Task AnonymiseAsync(long userId, string unusableHash, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        var p = new { userId, name = "deleted-" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture), hash = unusableHash, now };
        string[] statements =
        [
            "UPDATE users SET username = @name, display_name = 'Deleted account', password_hash = @hash, last_seen_at = NULL, hide_last_seen = 1, " +
            "deleted_at = @now, disabled_at = coalesce(disabled_at, @now) WHERE id = @userId",
            "UPDATE devices SET name = 'deleted', revoked_at = coalesce(revoked_at, @now) WHERE user_id = @userId",
            "DELETE FROM spent_refresh_tokens WHERE device_id IN (SELECT id FROM devices WHERE user_id = @userId)",
            "DELETE FROM contacts WHERE user_id = @userId OR contact_id = @userId",
            "DELETE FROM blocks WHERE user_id = @userId OR blocked_id = @userId",
            "DELETE FROM push_targets WHERE user_id = @userId",
            "DELETE FROM push_settings WHERE user_id = @userId",
            "DELETE FROM push_mutes WHERE user_id = @userId",
            "DELETE FROM hidden_messages WHERE user_id = @userId",
            "DELETE FROM mentions WHERE user_id = @userId",
            "UPDATE attachments SET deleted_at = @now WHERE owner_id = @userId AND deleted_at IS NULL",
        ];
        foreach (string sql in statements)
        {
            await c.ExecuteAsync(new CommandDefinition(sql, p, tx, cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>A LIKE pattern matching strings that start with <paramref name="prefix"/> literally.</summary>
    private static string LikePrefix(string prefix) =>
        prefix.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";

    // Classes with setters, not positional records: Dapper then converts each column by name, whatever type the
    // backend reports for an expression column (SQLite may report none for a sub-select).
    private sealed class UserRow
    {
        public long Id { get; set; }
        public string Username { get; set; } = "";
        public string DisplayName { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? DisabledAt { get; set; }
        public long? DeletedAt { get; set; }
        public long LiveDevices { get; set; }

        public AdminUserDto ToDto() => new(Id, Username, DisplayName, CreatedAt, DisabledAt, DeletedAt is not null, LiveDevices);
    }

    private sealed class RoomRow
    {
        public long Id { get; set; }
        public string Kind { get; set; } = "";
        public string? Name { get; set; }
        public long CreatedBy { get; set; }
        public long CreatedAt { get; set; }
        public long MemberCount { get; set; }
        public long LastSeq { get; set; }
        public long LastActivityAt { get; set; }
        public long RetainedFrom { get; set; }
        public long? RetentionDays { get; set; }
        public long? DeletedAt { get; set; }

        public AdminRoomDto ToDto() => new(Id, Kind, Name, CreatedBy, CreatedAt, MemberCount, LastSeq, LastActivityAt, RetainedFrom, (int?)RetentionDays, DeletedAt is not null);
    }

    private sealed record AuditRow(long Id, long AdminId, string Action, string? Target, string? Parameters, string Outcome, long Status, long At);
}
