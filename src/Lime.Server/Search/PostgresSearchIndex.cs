using Lime.Server.Storage.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Lime.Server.Search;

/// <summary>
/// The production index: PostgreSQL, a tsvector of LIME's tokens per message (array_to_tsvector: no parser or text
/// search configuration in between) under a GIN index (schema 7); queries are tsquery of quoted lexemes with
/// <c>:*</c> for prefixes. One statement per batch for loads and writes (arrays), so a batch is one round trip each.
/// </summary>
public sealed class PostgresSearchIndex(PostgresDatabase db) : SqlSearchIndex(db)
{
    protected override string IndexedCountSql => "SELECT count(*) FROM search_docs WHERE NOT deleted";

    public override async Task<IReadOnlyList<IndexedMessage>> LoadAsync(IReadOnlyCollection<(long Room, long Seq)> keys, CancellationToken ct)
    {
        await using var c = (NpgsqlConnection)await Db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT e.room_id, e.seq, e.id, e.sender_id, e.created_at, e.text, e.deleted_at, " +
            "(SELECT max(o.seq) FROM events o WHERE o.room_id = e.room_id AND o.target_seq = e.seq AND o.kind IN ('message_edited', 'message_deleted')) " +
            "FROM unnest(@rooms, @seqs) AS k(room, seq) JOIN events e ON e.room_id = k.room AND e.seq = k.seq WHERE e.kind = 'message'", c);
        cmd.Parameters.Add(Array("rooms", [.. keys.Select(k => k.Room)]));
        cmd.Parameters.Add(Array("seqs", [.. keys.Select(k => k.Seq)]));
        var found = new List<IndexedMessage>(keys.Count);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            found.Add(Read(r));
        }

        return found;
    }

    public override async Task ApplyAsync(IReadOnlyList<IndexedMessage> messages, CancellationToken ct)
    {
        // One row per message (ON CONFLICT may not touch a row twice in one statement): the newest state of each.
        var rows = messages.GroupBy(m => (m.RoomId, m.Seq)).Select(g => g.MaxBy(m => m.Version)!).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        await using var c = (NpgsqlConnection)await Db.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO search_docs (room_id, seq, event_id, sender_id, created_at, version, deleted, tokens) " +
            "SELECT room, seq, eid, sender, at, ver, toks IS NULL, array_to_tsvector(coalesce(string_to_array(toks, ' '), '{}')) " +
            "FROM unnest(@rooms, @seqs, @eids, @senders, @ats, @vers, @toks) AS u(room, seq, eid, sender, at, ver, toks) " +
            "ON CONFLICT (room_id, seq) DO UPDATE SET version = EXCLUDED.version, deleted = EXCLUDED.deleted, tokens = EXCLUDED.tokens " +
            "WHERE search_docs.version < EXCLUDED.version", c); // the same or a newer state indexed: nothing to do
        cmd.Parameters.Add(Array("rooms", [.. rows.Select(m => m.RoomId)]));
        cmd.Parameters.Add(Array("seqs", [.. rows.Select(m => m.Seq)]));
        cmd.Parameters.Add(Array("eids", [.. rows.Select(m => m.EventId)]));
        cmd.Parameters.Add(Array("senders", [.. rows.Select(m => m.SenderId)]));
        cmd.Parameters.Add(Array("ats", [.. rows.Select(m => m.CreatedAt)]));
        cmd.Parameters.Add(Array("vers", [.. rows.Select(m => m.Version)]));
        cmd.Parameters.Add(new NpgsqlParameter<string?[]>("toks", NpgsqlDbType.Array | NpgsqlDbType.Text)
        {
            TypedValue = [.. rows.Select(m => m.Text is null ? null : string.Join(' ', Tokenizer.IndexTokens(m.Text)))],
        });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public override async Task<IReadOnlyList<SearchCandidate>> FindAsync(SearchFilter filter, CancellationToken ct)
    {
        await using var c = await Db.OpenConnectionAsync(ct);
        await using var cmd = c.CreateCommand();
        string narrowing = Narrowing(cmd, filter);
        cmd.CommandText =
            "SELECT d.room_id, d.seq, d.event_id, d.sender_id, d.created_at, e.text FROM search_docs d " +
            "JOIN members m ON m.room_id = d.room_id AND m.user_id = @user " +
            "JOIN events e ON e.room_id = d.room_id AND e.seq = d.seq " +
            $"WHERE d.tokens @@ CAST(@match AS tsquery) AND d.event_id < @beforeId AND NOT d.deleted AND {Readable}{narrowing} " +
            "ORDER BY d.event_id DESC LIMIT @limit";
        Parameter(cmd, "@user", filter.UserId);
        Parameter(cmd, "@match", TsQuery(filter.Query));
        Parameter(cmd, "@beforeId", filter.BeforeEventId);
        Parameter(cmd, "@limit", (long)filter.Limit);
        return await ReadCandidatesAsync(cmd, filter.Limit, ct);
    }

    /// <summary>A tsquery of quoted lexemes, ANDed, <c>:*</c> on prefixes; quotes and backslashes doubled.</summary>
    internal static string TsQuery(SearchQuery query) =>
        string.Join(" & ", query.Terms.Select(t => "'" + t.Token.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'" + (t.Prefix ? ":*" : "")));

    private static NpgsqlParameter<long[]> Array(string name, long[] values) => new(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = values };
}
