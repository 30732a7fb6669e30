using Dapper;
using Lime.Server.Storage.Sql;

namespace Lime.Server.Attachments;

/// <summary>Upload rows in SQL: one copy for SQLite and PostgreSQL.</summary>
public sealed class SqlAttachmentStore(ISqlDatabase db) : IAttachmentStore
{
    internal const string Columns =
        "a.id AS Id, a.owner_id AS OwnerId, a.sha256 AS Sha256, a.size AS Size, a.content_type AS ContentType, a.name AS Name, a.width AS Width, " +
        "a.height AS Height, a.thumb_sha256 AS ThumbSha256, a.placeholder AS Placeholder, a.created_at AS CreatedAt, a.room_id AS RoomId, a.seq AS Seq, " +
        "a.deleted_at AS DeletedAt";

    public async Task InsertAsync(AttachmentRecord attachment, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO attachments (id, owner_id, sha256, size, content_type, name, width, height, thumb_sha256, placeholder, created_at) " +
            "VALUES (@Id, @OwnerId, @Sha256, @Size, @ContentType, @Name, @Width, @Height, @ThumbSha256, @Placeholder, @CreatedAt)", attachment, cancellationToken: ct));
    }

    public async Task<long> BytesSinceAsync(long ownerId, long since, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT coalesce(sum(size), 0) FROM attachments WHERE owner_id = @ownerId AND created_at >= @since", new { ownerId, since }, cancellationToken: ct));
    }

    public async Task<AttachmentRecord?> GetReadableAsync(long id, long userId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<AttachmentRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM attachments a WHERE a.id = @id AND a.deleted_at IS NULL AND (" +
            "(a.room_id IS NULL AND a.owner_id = @userId) OR (a.room_id IS NOT NULL " +
            "AND EXISTS (SELECT 1 FROM members m WHERE m.room_id = a.room_id AND m.user_id = @userId) " +
            "AND NOT EXISTS (SELECT 1 FROM bans b WHERE b.room_id = a.room_id AND b.user_id = @userId) " +
            "AND EXISTS (SELECT 1 FROM rooms r WHERE r.id = a.room_id AND r.deleted_at IS NULL)))",
            new { id, userId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<SweptAttachment>> OrphansAsync(long before, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<SweptAttachment>(new CommandDefinition(
            "SELECT id AS Id, sha256 AS Sha256, thumb_sha256 AS ThumbSha256 FROM attachments WHERE room_id IS NULL AND created_at < @before ORDER BY created_at LIMIT @limit",
            new { before, limit }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<SweptAttachment>> DeletedAsync(int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<SweptAttachment>(new CommandDefinition(
            "SELECT id AS Id, sha256 AS Sha256, thumb_sha256 AS ThumbSha256 FROM attachments WHERE deleted_at IS NOT NULL ORDER BY deleted_at LIMIT @limit",
            new { limit }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<IReadOnlyList<SweptAttachment>> DeleteRowsAsync(IReadOnlyList<SweptAttachment> rows, bool orphans, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        await using var c = await db.OpenConnectionAsync(ct);
        var ids = db.Dialect.IdListValue(rows.Select(r => r.Id));
        string condition = orphans ? "room_id IS NULL" : "deleted_at IS NOT NULL";
        var deleted = (await c.QueryAsync<long>(new CommandDefinition(
            $"DELETE FROM attachments WHERE id IN {db.Dialect.IdList("@ids")} AND {condition} RETURNING id", new { ids }, cancellationToken: ct))).ToHashSet();
        return [.. rows.Where(r => deleted.Contains(r.Id))];
    }

    public async Task<bool> BlobInUseAsync(string sha256, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM (SELECT 1 FROM attachments WHERE sha256 = @sha256 OR thumb_sha256 = @sha256 LIMIT 1) AS used", new { sha256 }, cancellationToken: ct)) > 0;
    }
}
