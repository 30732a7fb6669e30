using Dapper;
using Lime.Protocol;

namespace Lime.Server.Storage.Sql;

/// <summary>Bans, invites, join requests and blocks in SQL: one copy for SQLite and PostgreSQL.</summary>
public sealed class SqlModerationStore(ISqlDatabase db) : IModerationStore
{
    private const string InviteColumns =
        "id AS Id, room_id AS RoomId, code AS Code, created_by AS CreatedBy, created_at AS CreatedAt, expires_at AS ExpiresAt, " +
        "max_uses AS MaxUses, uses AS Uses, revoked_at AS RevokedAt";

    public async Task<IReadOnlyList<BanDto>> ListBansAsync(long roomId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long User, long By, long At)>(new CommandDefinition(
            "SELECT user_id, banned_by, banned_at FROM bans WHERE room_id = @roomId ORDER BY user_id", new { roomId }, cancellationToken: ct));
        return rows.Select(r => new BanDto(r.User, r.By, r.At)).ToList();
    }

    public async Task<IReadOnlyList<long>> BannedAsync(long roomId, IReadOnlyCollection<long> userIds, CancellationToken ct)
    {
        if (userIds.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<long>(new CommandDefinition(
            $"SELECT user_id FROM bans WHERE room_id = @roomId AND user_id IN {db.Dialect.IdList("@users")}",
            new { roomId, users = db.Dialect.IdListValue(userIds) }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<InviteDto>> ListInvitesAsync(long roomId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<InviteRow>(new CommandDefinition(
            $"SELECT {InviteColumns} FROM invites WHERE room_id = @roomId ORDER BY id", new { roomId }, cancellationToken: ct));
        return rows.Select(r => r.ToDto()).ToList();
    }

    public async Task<InviteDto?> FindInviteAsync(string code, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return (await c.QuerySingleOrDefaultAsync<InviteRow>(new CommandDefinition(
            $"SELECT {InviteColumns} FROM invites WHERE code = @code", new { code }, cancellationToken: ct)))?.ToDto();
    }

    public async Task<InviteDto?> GetInviteAsync(long inviteId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return (await c.QuerySingleOrDefaultAsync<InviteRow>(new CommandDefinition(
            $"SELECT {InviteColumns} FROM invites WHERE id = @inviteId", new { inviteId }, cancellationToken: ct)))?.ToDto();
    }

    public async Task<IReadOnlyList<JoinRequestDto>> ListJoinRequestsAsync(long roomId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long User, string Username, string DisplayName, long At)>(new CommandDefinition(
            "SELECT j.user_id, u.username, u.display_name, j.requested_at FROM join_requests j JOIN users u ON u.id = j.user_id " +
            "WHERE j.room_id = @roomId ORDER BY j.requested_at, j.user_id", new { roomId }, cancellationToken: ct));
        return rows.Select(r => new JoinRequestDto(r.User, r.Username, r.DisplayName, r.At)).ToList();
    }

    public async Task<IReadOnlyList<BlockDto>> ListBlocksAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(long User, string Username, string DisplayName, long At)>(new CommandDefinition(
            "SELECT b.blocked_id, u.username, u.display_name, b.created_at FROM blocks b JOIN users u ON u.id = b.blocked_id " +
            "WHERE b.user_id = @userId ORDER BY u.username", new { userId }, cancellationToken: ct));
        return rows.Select(r => new BlockDto(r.User, r.Username, r.DisplayName, r.At)).ToList();
    }

    public async Task<bool> BlockedEitherWayAsync(long userId, long otherId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM blocks WHERE (user_id = @userId AND blocked_id = @otherId) OR (user_id = @otherId AND blocked_id = @userId)",
            new { userId, otherId }, cancellationToken: ct)) > 0;
    }

    public async Task<IReadOnlySet<long>> BlockedPeersAsync(long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<long>(new CommandDefinition(
            "SELECT blocked_id FROM blocks WHERE user_id = @userId UNION SELECT user_id FROM blocks WHERE blocked_id = @userId",
            new { userId }, cancellationToken: ct));
        return rows.ToHashSet();
    }

    private sealed record InviteRow(long Id, long RoomId, string Code, long CreatedBy, long CreatedAt, long? ExpiresAt, long? MaxUses, long Uses, long? RevokedAt)
    {
        public InviteDto ToDto() => new(Id, RoomId, Code, CreatedBy, CreatedAt, ExpiresAt, (int?)MaxUses, (int)Uses, RevokedAt is not null);
    }
}
