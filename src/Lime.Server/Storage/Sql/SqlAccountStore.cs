using System.Data.Common;
using Dapper;

namespace Lime.Server.Storage.Sql;

/// <summary>Users, devices and contacts in SQL: one copy of the SQL for SQLite and PostgreSQL.</summary>
public sealed class SqlAccountStore(ISqlDatabase db) : IAccountStore
{
    private const string UserColumns = "id AS Id, username AS Username, display_name AS DisplayName, password_hash AS PasswordHash, created_at AS CreatedAt, disabled_at AS DisabledAt";
    private const string DeviceColumns = "id AS Id, user_id AS UserId, name AS Name, created_at AS CreatedAt, last_seen_at AS LastSeenAt, revoked_at AS RevokedAt";

    public async Task<UserRecord?> CreateUserAsync(string username, string displayName, string passwordHash, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        try
        {
            long id = await c.ExecuteScalarAsync<long>(new CommandDefinition(
                "INSERT INTO users (username, display_name, password_hash, created_at) VALUES (@username, @displayName, @passwordHash, @now) RETURNING id",
                new { username, displayName, passwordHash, now }, cancellationToken: ct));
            return new UserRecord(id, username, displayName, passwordHash, now);
        }
        catch (DbException e) when (db.Dialect.IsUniqueViolation(e)) // username taken
        {
            return null;
        }
    }

    public async Task<UserRecord?> FindUserByNameAsync(string username, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition(
            $"SELECT {UserColumns} FROM users WHERE username = @username", new { username }, cancellationToken: ct));
    }

    public async Task<UserRecord?> GetUserAsync(long id, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<UserRecord>(new CommandDefinition(
            $"SELECT {UserColumns} FROM users WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<long>> ExistingUserIdsAsync(IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenConnectionAsync(ct);
        var found = await c.QueryAsync<long>(new CommandDefinition(
            $"SELECT id FROM users WHERE id IN {db.Dialect.IdList("@ids")}",
            new { ids = db.Dialect.IdListValue(ids) },
            cancellationToken: ct));
        return found.AsList();
    }

    public async Task UpdateDisplayNameAsync(long userId, string displayName, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET display_name = @displayName WHERE id = @userId", new { userId, displayName }, cancellationToken: ct));
    }

    public async Task<DeviceRecord> CreateDeviceAsync(long userId, string name, string refreshHash, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        long id = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO devices (user_id, name, refresh_hash, created_at, last_seen_at) VALUES (@userId, @name, @refreshHash, @now, @now) RETURNING id",
            new { userId, name, refreshHash, now }, cancellationToken: ct));
        return new DeviceRecord(id, userId, name, now, now, null);
    }

    public async Task<RefreshRotation> RotateRefreshAsync(string oldHash, string newHash, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        // The UPDATE comes first, so a SQLite transaction takes the write lock at once (no read-then-upgrade).
        await using var tx = await c.BeginTransactionAsync(ct);
        var rotated = await c.QuerySingleOrDefaultAsync<RotatedDevice>(new CommandDefinition(
            "UPDATE devices SET refresh_hash = @newHash, last_seen_at = @now, refresh_generation = refresh_generation + 1 " +
            $"WHERE refresh_hash = @oldHash AND revoked_at IS NULL RETURNING {DeviceColumns}, refresh_generation AS Generation",
            new { oldHash, newHash, now }, tx, cancellationToken: ct));
        if (rotated is not null)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO spent_refresh_tokens (device_id, slot, hash, spent_at) VALUES (@Id, @slot, @oldHash, @now) " +
                "ON CONFLICT (device_id, slot) DO UPDATE SET hash = excluded.hash, spent_at = excluded.spent_at",
                new { rotated.Id, slot = rotated.Generation % IAccountStore.SpentRefreshTokensKept, oldHash, now }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
            return new RefreshRotation(new DeviceRecord(rotated.Id, rotated.UserId, rotated.Name, rotated.CreatedAt, rotated.LastSeenAt, rotated.RevokedAt), null);
        }

        var spent = await c.QueryFirstOrDefaultAsync<SpentToken>(new CommandDefinition(
            "SELECT device_id AS DeviceId, spent_at AS SpentAt FROM spent_refresh_tokens WHERE hash = @oldHash", new { oldHash }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return new RefreshRotation(null, spent?.DeviceId, spent?.SpentAt);
    }

    private sealed record SpentToken(long DeviceId, long SpentAt);

    private sealed record RotatedDevice(long Id, long UserId, string Name, long CreatedAt, long LastSeenAt, long? RevokedAt, long Generation);

    public async Task<DeviceRecord?> GetDeviceAsync(long deviceId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<DeviceRecord>(new CommandDefinition(
            $"SELECT {DeviceColumns} FROM devices WHERE id = @deviceId", new { deviceId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<long>> LiveDeviceIdsAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct)
    {
        if (deviceIds.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenConnectionAsync(ct);
        var live = await c.QueryAsync<long>(new CommandDefinition(
            $"SELECT id FROM devices WHERE id IN {db.Dialect.IdList("@ids")} AND revoked_at IS NULL",
            new { ids = db.Dialect.IdListValue(deviceIds) },
            cancellationToken: ct));
        return live.AsList();
    }

    public async Task RevokeDeviceAsync(long deviceId, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE devices SET revoked_at = @now WHERE id = @deviceId AND revoked_at IS NULL", new { deviceId, now }, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM spent_refresh_tokens WHERE device_id = @deviceId", new { deviceId }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public async Task AddContactAsync(long userId, long contactId, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO contacts (user_id, contact_id, created_at) VALUES (@userId, @contactId, @now) ON CONFLICT DO NOTHING",
            new { userId, contactId, now }, cancellationToken: ct));
    }

    public async Task RemoveContactAsync(long userId, long contactId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM contacts WHERE user_id = @userId AND contact_id = @contactId", new { userId, contactId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<ContactRecord>> ListContactsAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long Id, string Username, string DisplayName, long? LastSeen, long Hide)>(new CommandDefinition(
            "SELECT u.id, u.username, u.display_name, u.last_seen_at, u.hide_last_seen FROM contacts k JOIN users u ON u.id = k.contact_id " +
            "WHERE k.user_id = @userId ORDER BY u.username", new { userId }, cancellationToken: ct));
        return rows.Select(r => new ContactRecord(r.Id, r.Username, r.DisplayName, r.LastSeen, r.Hide != 0)).ToList();
    }

    public async Task<IReadOnlyList<long>> MutualContactsAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<long>(new CommandDefinition(
            "SELECT w.user_id FROM contacts w JOIN contacts k ON k.user_id = @userId AND k.contact_id = w.user_id WHERE w.contact_id = @userId",
            new { userId }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<PresenceRecord> GetPresenceSettingsAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<(long? LastSeen, long Hide)>(new CommandDefinition(
            "SELECT last_seen_at, hide_last_seen FROM users WHERE id = @userId", new { userId }, cancellationToken: ct));
        return new PresenceRecord(row.LastSeen, row.Hide != 0);
    }

    public async Task SetHideLastSeenAsync(long userId, bool hide, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET hide_last_seen = @hide WHERE id = @userId", new { userId, hide = hide ? 1 : 0 }, cancellationToken: ct));
    }

    public async Task SetLastSeenAsync(IReadOnlyCollection<(long UserId, long LastSeenAt)> lastSeen, CancellationToken ct)
    {
        if (lastSeen.Count == 0)
        {
            return;
        }

        await using var c = await db.OpenConnectionAsync(ct);
        using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET last_seen_at = @LastSeenAt WHERE id = @UserId",
            lastSeen.Select(x => new { x.UserId, x.LastSeenAt }), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<DeviceRecord>(new CommandDefinition(
            $"SELECT {DeviceColumns} FROM devices WHERE user_id = @userId AND revoked_at IS NULL ORDER BY id", new { userId }, cancellationToken: ct));
        return rows.AsList();
    }
}
