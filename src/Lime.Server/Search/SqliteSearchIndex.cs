using Dapper;
using Lime.Server.Storage.Sqlite;

namespace Lime.Server.Search;

/// <summary>
/// The embedded index: SQLite FTS5 (contentless, ascii tokenizer over LIME's space-separated tokens; schema 8). The
/// FTS rowid is the message id, so a MATCH with ORDER BY rowid DESC walks newest first and stops at the page's end.
/// </summary>
public sealed class SqliteSearchIndex(SqliteDatabase db) : SqlSearchIndex(db)
{
    protected override string IndexedCountSql => "SELECT count(*) FROM search_docs WHERE deleted = 0";

    public override async Task ApplyAsync(IReadOnlyList<IndexedMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0)
        {
            return;
        }

        await using var c = await Db.OpenConnectionAsync(ct);
        // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the version check and the write are one step for every writer.
        await using var tx = await c.BeginTransactionAsync(ct);
        foreach (var m in messages)
        {
            var indexed = await c.QuerySingleOrDefaultAsync<(long EventId, long Version, long Deleted)?>(new CommandDefinition(
                "SELECT event_id, version, deleted FROM search_docs WHERE room_id = @RoomId AND seq = @Seq", m, tx, cancellationToken: ct));
            if (indexed is { } old && old.Version >= m.Version)
            {
                continue; // the same state again (a redelivery) or an older one applied late
            }

            if (indexed is { Deleted: 0 } live)
            {
                await c.ExecuteAsync(new CommandDefinition("DELETE FROM search_fts WHERE rowid = @EventId", new { live.EventId }, tx, cancellationToken: ct));
            }

            bool deleted = m.Text is null;
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO search_docs (event_id, room_id, seq, sender_id, created_at, version, deleted) VALUES (@EventId, @RoomId, @Seq, @SenderId, @CreatedAt, @Version, @deleted) " +
                "ON CONFLICT (room_id, seq) DO UPDATE SET version = excluded.version, deleted = excluded.deleted",
                new { m.EventId, m.RoomId, m.Seq, m.SenderId, m.CreatedAt, m.Version, deleted = deleted ? 1 : 0 }, tx, cancellationToken: ct));
            if (!deleted)
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO search_fts (rowid, tokens) VALUES (@EventId, @tokens)",
                    new { m.EventId, tokens = string.Join(' ', Tokenizer.IndexTokens(m.Text)) }, tx, cancellationToken: ct));
            }
        }

        await tx.CommitAsync(ct);
    }

    public override async Task<IReadOnlyList<SearchCandidate>> FindAsync(SearchFilter filter, CancellationToken ct)
    {
        await using var c = await Db.OpenConnectionAsync(ct);
        await using var cmd = c.CreateCommand();
        string narrowing = Narrowing(cmd, filter);
        cmd.CommandText =
            "SELECT d.room_id, d.seq, d.event_id, d.sender_id, d.created_at, e.text FROM search_fts " +
            "JOIN search_docs d ON d.event_id = search_fts.rowid " +
            "JOIN members m ON m.room_id = d.room_id AND m.user_id = @user " +
            "JOIN events e ON e.room_id = d.room_id AND e.seq = d.seq " +
            $"WHERE search_fts MATCH @match AND search_fts.rowid < @beforeId AND {Readable}{narrowing} " +
            "ORDER BY search_fts.rowid DESC LIMIT @limit";
        Parameter(cmd, "@user", filter.UserId);
        Parameter(cmd, "@match", Match(filter.Query));
        Parameter(cmd, "@beforeId", filter.BeforeEventId);
        Parameter(cmd, "@limit", (long)filter.Limit);
        return await ReadCandidatesAsync(cmd, filter.Limit, ct);
    }

    /// <summary>An FTS5 query: every term a quoted string (the tokenizer sees exactly the token), prefixes with *.</summary>
    internal static string Match(SearchQuery query) =>
        string.Join(" AND ", query.Terms.Select(t => "\"" + t.Token.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" + (t.Prefix ? "*" : "")));
}
