using System.Data.Common;
using Dapper;
using Lime.Server.Storage.Sql;

namespace Lime.Server.Push;

/// <summary>
/// The idempotency ledger and the collapse windows in SQL (SQLite and PostgreSQL). Window changes read the row
/// inside the writing transaction — locked with FOR UPDATE on PostgreSQL, under SQLite's single writer otherwise —
/// so concurrent workers see each other's decisions.
/// </summary>
public sealed class SqlPushLedger(ISqlDatabase db) : IPushLedger
{
    /// <summary>The outbox topic of digests: room_id = first collapsed room, seq = the window end, target_id = the target.</summary>
    public const string DigestTopic = "push_digest";

    private const int KeysPerQuery = 500;

    private string LockRow => db.Dialect.Name == "postgres" ? " FOR UPDATE" : "";

    public async Task<HashSet<string>> SeenAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return seen;
        }

        await using var c = await db.OpenConnectionAsync(ct);
        foreach (var chunk in keys.Chunk(KeysPerQuery))
        {
            // Dapper expands a list into (@chunk1, @chunk2, …) for SQLite; Npgsql takes the array as one parameter.
            string match = db.Dialect.Name == "postgres" ? "= ANY(@chunk)" : "IN @chunk";
            seen.UnionWith(await c.QueryAsync<string>(new CommandDefinition(
                $"SELECT notification_key FROM push_ledger WHERE notification_key {match}", new { chunk }, cancellationToken: ct)));
        }

        return seen;
    }

    public async Task<WindowDecision[]> DecideAsync(IReadOnlyList<WindowRequest> requests, long now, long windowMs, CancellationToken ct)
    {
        var decisions = new WindowDecision[requests.Count];
        if (requests.Count == 0)
        {
            return decisions;
        }

        await using var c = await db.OpenConnectionAsync(ct);
        using var tx = await c.BeginTransactionAsync(ct);
        for (int i = 0; i < requests.Count; i++)
        {
            var (key, target, room) = requests[i];
            var w = await ReadWindowAsync(c, tx, target, ct);
            if (w.Until <= now || w.OpenedBy == key)
            {
                // Leading push: opens a window (or is the retry of the one that did). Collapsed messages still waiting
                // from an older window are covered by this push's badge; their digest, if still due, finds nothing.
                if (w.Until <= now)
                {
                    await c.ExecuteAsync(new CommandDefinition(
                        "UPDATE push_windows SET until = @until, opened_by = @key, pending = 0, pending_room = NULL, multi_room = 0, digest_due = NULL WHERE target_id = @target",
                        new { until = now + windowMs, key, target }, tx, cancellationToken: ct));
                }

                decisions[i] = WindowDecision.Send;
                continue;
            }

            decisions[i] = WindowDecision.Collapsed;
            int inserted = await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO push_ledger (notification_key, outcome, at) VALUES (@key, @outcome, @now) ON CONFLICT (notification_key) DO NOTHING",
                new { key, outcome = LedgerOutcomes.Collapsed, now }, tx, cancellationToken: ct));
            if (inserted == 0)
            {
                continue; // already counted by an earlier delivery of the same entry
            }

            bool multi = w.MultiRoom != 0 || (w.PendingRoom is { } first && first != room);
            long? due = w.DigestDue;
            if (due is null)
            {
                due = w.Until;
                await ScheduleDigestAsync(c, tx, target, room, w.Until, now, ct);
            }

            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE push_windows SET pending = pending + 1, pending_room = @pendingRoom, multi_room = @multi, digest_due = @due WHERE target_id = @target",
                new { pendingRoom = w.PendingRoom ?? room, multi = multi ? 1 : 0, due, target }, tx, cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
        return decisions;
    }

    public async Task<DigestState?> GetDigestAsync(long targetId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<WindowRow>(new CommandDefinition(
            $"SELECT {WindowColumns} FROM push_windows WHERE target_id = @targetId", new { targetId }, cancellationToken: ct));
        return row is null ? null : new DigestState(row.Pending, row.PendingRoom, row.MultiRoom != 0, row.Until);
    }

    public async Task CompleteDigestAsync(long targetId, long covered, string key, long now, long windowMs, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        using var tx = await c.BeginTransactionAsync(ct);
        var w = await c.QuerySingleOrDefaultAsync<WindowRow>(new CommandDefinition(
            $"SELECT {WindowColumns} FROM push_windows WHERE target_id = @targetId{LockRow}", new { targetId }, tx, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO push_ledger (notification_key, outcome, at) VALUES (@key, @outcome, @now) ON CONFLICT (notification_key) DO NOTHING",
            new { key, outcome = LedgerOutcomes.Sent, now }, tx, cancellationToken: ct));
        if (w is not null)
        {
            long pending = Math.Max(0, w.Pending - covered);
            long until = Math.Max(w.Until, now + windowMs); // the digest was a push: it opens the next window
            long? due = null;
            if (pending > 0)
            {
                due = until;
                await ScheduleDigestAsync(c, tx, targetId, w.PendingRoom ?? 0, until, now, ct);
            }

            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE push_windows SET until = @until, opened_by = @key, pending = @pending, " +
                "pending_room = CASE WHEN @pending = 0 THEN NULL ELSE pending_room END, multi_room = CASE WHEN @pending = 0 THEN 0 ELSE multi_room END, " +
                "digest_due = @due WHERE target_id = @targetId",
                new { until, key, pending, due, targetId }, tx, cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
    }

    public async Task RecordAsync(IReadOnlyCollection<(string Key, string Outcome)> keys, long now, CancellationToken ct)
    {
        if (keys.Count == 0)
        {
            return;
        }

        await using var c = await db.OpenConnectionAsync(ct);
        using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO push_ledger (notification_key, outcome, at) VALUES (@Key, @Outcome, @now) ON CONFLICT (notification_key) DO NOTHING",
            keys.Select(k => new { k.Key, k.Outcome, now }), tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public async Task<int> PruneAsync(long before, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM push_ledger WHERE at < @before", new { before }, cancellationToken: ct));
    }

    private const string WindowColumns =
        "until AS Until, opened_by AS OpenedBy, pending AS Pending, pending_room AS PendingRoom, multi_room AS MultiRoom, digest_due AS DigestDue";

    /// <summary>The target's window, created empty (already over) if it has none; locked for this transaction.</summary>
    private async Task<WindowRow> ReadWindowAsync(DbConnection c, DbTransaction tx, long target, CancellationToken ct)
    {
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO push_windows (target_id, until, opened_by, pending, multi_room) VALUES (@target, 0, '', 0, 0) ON CONFLICT (target_id) DO NOTHING",
            new { target }, tx, cancellationToken: ct));
        return await c.QuerySingleAsync<WindowRow>(new CommandDefinition(
            $"SELECT {WindowColumns} FROM push_windows WHERE target_id = @target{LockRow}", new { target }, tx, cancellationToken: ct));
    }

    private static Task<int> ScheduleDigestAsync(DbConnection c, DbTransaction tx, long target, long room, long due, long now, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO outbox (room_id, seq, topic, created_at, attempts, next_attempt_at, target_id) VALUES (@room, @due, @topic, @now, 0, @due, @target)",
            new { room, due, topic = DigestTopic, now, target }, tx, cancellationToken: ct));

    private sealed record WindowRow(long Until, string OpenedBy, long Pending, long? PendingRoom, long MultiRoom, long? DigestDue);
}
