using System.Data.Common;
using Dapper;
using Lime.Server.Storage.Sql;

namespace Lime.Server.Search;

/// <summary>What both SQL indexes share: reading a message's state to index, and the stats (the outbox is the same SQL).</summary>
public abstract class SqlSearchIndex(ISqlDatabase db) : ISearchIndex
{
    /// <summary>The message at (@room, @seq) with its version: the seq of its newest edit or delete, else its own.</summary>
    private const string LoadSql =
        "SELECT e.room_id, e.seq, e.id, e.sender_id, e.created_at, e.text, e.deleted_at, " +
        "(SELECT max(o.seq) FROM events o WHERE o.room_id = e.room_id AND o.target_seq = e.seq AND o.kind IN ('message_edited', 'message_deleted')) " +
        "FROM events e WHERE e.room_id = @room AND e.seq = @seq AND e.kind = 'message'";

    protected ISqlDatabase Db { get; } = db;

    public virtual async Task<IReadOnlyList<IndexedMessage>> LoadAsync(IReadOnlyCollection<(long Room, long Seq)> keys, CancellationToken ct)
    {
        await using var c = await Db.OpenConnectionAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = LoadSql;
        var room = Parameter(cmd, "@room");
        var seq = Parameter(cmd, "@seq");
        var found = new List<IndexedMessage>(keys.Count);
        foreach (var key in keys)
        {
            room.Value = key.Room;
            seq.Value = key.Seq;
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct))
            {
                found.Add(Read(r));
            }
        }

        return found;
    }

    public abstract Task ApplyAsync(IReadOnlyList<IndexedMessage> messages, CancellationToken ct);

    public abstract Task<IReadOnlyList<SearchCandidate>> FindAsync(SearchFilter filter, CancellationToken ct);

    public async Task<SearchIndexStats> StatsAsync(long now, CancellationToken ct)
    {
        await using var c = await Db.OpenConnectionAsync(ct);
        var (pending, oldest) = await c.QuerySingleAsync<(long, long?)>(new CommandDefinition(
            "SELECT count(*), min(created_at) FROM outbox WHERE topic = 'search'", cancellationToken: ct));
        long dead = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM outbox_dead WHERE topic = 'search'", cancellationToken: ct));
        long indexed = await c.ExecuteScalarAsync<long>(new CommandDefinition(IndexedCountSql, cancellationToken: ct));
        return new SearchIndexStats(pending, oldest is { } o ? Math.Max(0, now - o) : 0, dead, indexed);
    }

    /// <summary>Counts the messages with searchable text in the index.</summary>
    protected abstract string IndexedCountSql { get; }

    /// <summary>Reads a row of <see cref="LoadSql"/>'s columns (room, seq, id, sender, created, text, deleted_at, newest operation seq).</summary>
    protected static IndexedMessage Read(DbDataReader r)
    {
        long seq = r.GetInt64(1);
        long version = r.IsDBNull(7) ? seq : Math.Max(seq, r.GetInt64(7));
        string? text = r.IsDBNull(6) && !r.IsDBNull(5) ? r.GetString(5) : null;
        return new IndexedMessage(r.GetInt64(0), seq, r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), version, text);
    }

    protected static DbParameter Parameter(DbCommand cmd, string name, object? value = null)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
        return p;
    }

    /// <summary>The filter's optional conditions on search_docs (alias d) and their parameters.</summary>
    protected static string Narrowing(DbCommand cmd, SearchFilter f)
    {
        var sql = new System.Text.StringBuilder();
        if (f.RoomId is { } room)
        {
            sql.Append(" AND d.room_id = @room");
            Parameter(cmd, "@room", room);
        }

        if (f.SenderId is { } sender)
        {
            sql.Append(" AND d.sender_id = @sender");
            Parameter(cmd, "@sender", sender);
        }

        if (f.BeforeTs is { } before)
        {
            sql.Append(" AND d.created_at < @beforeTs");
            Parameter(cmd, "@beforeTs", before);
        }

        if (f.AfterTs is { } after)
        {
            sql.Append(" AND d.created_at > @afterTs");
            Parameter(cmd, "@afterTs", after);
        }

        return sql.ToString();
    }

    /// <summary>Reads candidates: room, seq, event id, sender, created, text.</summary>
    protected static async Task<IReadOnlyList<SearchCandidate>> ReadCandidatesAsync(DbCommand cmd, int limit, CancellationToken ct)
    {
        var list = new List<SearchCandidate>(Math.Min(limit, 256));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(new SearchCandidate(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.IsDBNull(5) ? "" : r.GetString(5)));
        }

        return list;
    }

    /// <summary>Readable by the user (alias m = their membership, d = the doc): from their join on, not hidden by them,
    /// not deleted (events alias e).</summary>
    protected const string Readable =
        "d.seq >= m.joined_seq AND e.deleted_at IS NULL " +
        "AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = m.user_id AND h.room_id = d.room_id AND h.seq = d.seq)";
}
