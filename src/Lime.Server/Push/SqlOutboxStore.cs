using Dapper;
using Lime.Server.Storage.Sql;

namespace Lime.Server.Push;

/// <summary>
/// The outbox in SQL, one copy for SQLite and PostgreSQL. A claim selects due rows and stamps the lease in one
/// transaction: on PostgreSQL the select takes row locks and skips rows another claimer has locked (FOR UPDATE SKIP
/// LOCKED), so concurrent claimers on many nodes get disjoint batches; on SQLite the transaction is BEGIN IMMEDIATE
/// and the database has one writer at a time, which gives the same result. The lease also moves next_attempt_at to
/// its end, so the one index on next_attempt_at finds both never-claimed entries and those whose lease ran out.
/// </summary>
public sealed class SqlOutboxStore(ISqlDatabase db) : IOutboxStore
{
    // Plain columns only: SQLite reports no type for a computed column of an empty result, which Dapper's record
    // mapping cannot match; the claim's +1 on attempts is applied in code.
    private const string EntryColumns =
        "id AS Id, room_id AS RoomId, seq AS Seq, topic AS Topic, created_at AS CreatedAt, attempts AS Attempts, next_attempt_at AS DueAt, target_id AS TargetId";

    private bool Postgres => db.Dialect.Name == "postgres";

    public async Task<IReadOnlyList<OutboxEntry>> ClaimAsync(string claimer, long now, long leaseUntil, int max, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        // A read first: polling an idle outbox never takes the write lock.
        long? next = await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT min(next_attempt_at) FROM outbox", cancellationToken: ct));
        if (next is null || next > now)
        {
            return [];
        }

        using var tx = await c.BeginTransactionAsync(ct);
        var entries = (await c.QueryAsync<OutboxEntry>(new CommandDefinition(
            $"SELECT {EntryColumns} FROM outbox WHERE next_attempt_at <= @now ORDER BY next_attempt_at, id LIMIT @max" +
            (Postgres ? " FOR UPDATE SKIP LOCKED" : ""),
            new { now, max }, tx, cancellationToken: ct))).Select(e => e with { Attempts = e.Attempts + 1 }).ToList();
        if (entries.Count > 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE outbox SET claimed_by = @claimer, claimed_until = @leaseUntil, next_attempt_at = @leaseUntil, attempts = attempts + 1 " +
                $"WHERE id IN {db.Dialect.IdList("@ids")}",
                new { claimer, leaseUntil, ids = db.Dialect.IdListValue(entries.Select(e => e.Id)) }, tx, cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
        return entries;
    }

    public async Task FinishAsync(string claimer, IReadOnlyList<OutboxFinishing> finishings, long now, CancellationToken ct)
    {
        if (finishings.Count == 0)
        {
            return;
        }

        await using var c = await db.OpenConnectionAsync(ct);
        using var tx = await c.BeginTransactionAsync(ct);
        var done = finishings.Where(f => f.How == OutboxFinish.Done).Select(f => f.Id).ToList();
        if (done.Count > 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM outbox WHERE claimed_by = @claimer AND id IN {db.Dialect.IdList("@ids")}",
                new { claimer, ids = db.Dialect.IdListValue(done) }, tx, cancellationToken: ct));
        }

        var retries = finishings.Where(f => f.How == OutboxFinish.Retry)
            .Select(f => new { claimer, id = f.Id, next = f.NextAttemptAt, error = Cut(f.Error) }).ToList();
        if (retries.Count > 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = @next, last_error = @error WHERE id = @id AND claimed_by = @claimer",
                retries, tx, cancellationToken: ct));
        }

        var releases = finishings.Where(f => f.How == OutboxFinish.Release).Select(f => new { claimer, id = f.Id, now }).ToList();
        if (releases.Count > 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = @now, attempts = attempts - 1 WHERE id = @id AND claimed_by = @claimer",
                releases, tx, cancellationToken: ct));
        }

        var dead = finishings.Where(f => f.How == OutboxFinish.Dead).Select(f => new { claimer, id = f.Id, now, error = Cut(f.Error) ?? "failed" }).ToList();
        if (dead.Count > 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO outbox_dead (entry_id, room_id, seq, topic, target_id, created_at, attempts, last_error, dead_at) " +
                "SELECT id, room_id, seq, topic, target_id, created_at, attempts, @error, @now FROM outbox WHERE id = @id AND claimed_by = @claimer",
                dead, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition(
                "DELETE FROM outbox WHERE id = @id AND claimed_by = @claimer", dead, tx, cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
    }

    public async Task<int> ReleaseAsync(string claimerPrefix, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = @now WHERE claimed_by LIKE @pattern AND claimed_until > @now",
            new { now, pattern = claimerPrefix + "%" }, cancellationToken: ct));
    }

    public async Task<int> DropDueAsync(long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM outbox WHERE next_attempt_at <= @now AND claimed_by IS NULL", new { now }, cancellationToken: ct));
    }

    public async Task<OutboxStats> StatsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        long pending = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM outbox", cancellationToken: ct));
        long? oldest = await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT min(next_attempt_at) FROM outbox", cancellationToken: ct));
        long dead = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM outbox_dead", cancellationToken: ct));
        return new OutboxStats(pending, oldest, dead);
    }

    public async Task<IReadOnlyList<DeadLetterRecord>> ListDeadLettersAsync(long afterId, int limit, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<DeadLetterRecord>(new CommandDefinition(
            "SELECT id AS Id, entry_id AS EntryId, room_id AS RoomId, seq AS Seq, topic AS Topic, target_id AS TargetId, created_at AS CreatedAt, " +
            "attempts AS Attempts, last_error AS LastError, dead_at AS DeadAt FROM outbox_dead WHERE id > @afterId ORDER BY id LIMIT @limit",
            new { afterId, limit }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<int> RequeueAsync(long[]? ids, long now, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        using var tx = await c.BeginTransactionAsync(ct);
        string lockRows = Postgres ? " FOR UPDATE" : "";
        var chosen = ids is null
            ? (await c.QueryAsync<long>(new CommandDefinition("SELECT id FROM outbox_dead ORDER BY id" + lockRows, transaction: tx, cancellationToken: ct))).AsList()
            : (await c.QueryAsync<long>(new CommandDefinition(
                $"SELECT id FROM outbox_dead WHERE id IN {db.Dialect.IdList("@ids")} ORDER BY id" + lockRows,
                new { ids = db.Dialect.IdListValue(ids) }, tx, cancellationToken: ct))).AsList();
        if (chosen.Count > 0)
        {
            var param = new { now, ids = db.Dialect.IdListValue(chosen) };
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO outbox (room_id, seq, topic, target_id, created_at, attempts, next_attempt_at) " +
                $"SELECT room_id, seq, topic, target_id, created_at, 0, @now FROM outbox_dead WHERE id IN {db.Dialect.IdList("@ids")} ORDER BY id",
                param, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM outbox_dead WHERE id IN {db.Dialect.IdList("@ids")}", param, tx, cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
        return chosen.Count;
    }

    private static string? Cut(string? error) => error is { Length: > 1000 } ? error[..1000] : error;
}
