using System.Data.Common;
using Lime.Server.Chat;
using Lime.Server.Diagnostics;
using Lime.Server.Fanout;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Lime.Server.Storage.Postgres;

/// <summary>
/// The room writer on PostgreSQL. Room rows are locked (FOR UPDATE) so writers on several nodes assign gap-free
/// seqs. A batch is acknowledged only when its COMMIT has been confirmed by every synchronous standby:
/// <list type="bullet">
/// <item>every batch writes its node's <c>commit_marks</c> row, so even a batch of duplicates (retries of earlier,
/// possibly unreplicated commits) waits for the standby before its acks are given;</item>
/// <item>if the replication wait is cancelled (pg_cancel_backend, a statement timeout, an administrator), PostgreSQL
/// still reports success but raises a warning (SQLSTATE 01000, "canceling wait for synchronous replication"): the
/// batch is then refused as not confirmed — never acknowledged — and the client's retry resolves it;</item>
/// <item>the COMMIT itself is never cancelled by LIME (no command timeout on it); a sender who waits too long hears
/// "not confirmed" from <see cref="StorageOptions.AckTimeoutSeconds"/> instead.</item>
/// </list>
/// </summary>
public sealed class PostgresRoomWriter : RoomWriter
{
    private readonly int _node;
    private readonly ILogger<PostgresRoomWriter> _log;
    private volatile bool _replicationWaitCancelled;

    public PostgresRoomWriter(PostgresDatabase db, IFanout fanout, Snowflake ids, LimeMetrics metrics, IOptions<LimeOptions> options, ILogger<PostgresRoomWriter> log)
        : base(db, fanout, ids, metrics, options, log)
    {
        _node = options.Value.NodeId;
        _log = log;
    }

    protected override DbConnection Open()
    {
        var connection = (NpgsqlConnection)base.Open();
        connection.Notice += (_, e) =>
        {
            Log.PostgresNotice(_log, e.Notice.MessageText);
            if (e.Notice.SqlState == "01000" && e.Notice.MessageText.Contains("synchronous replication", StringComparison.OrdinalIgnoreCase))
            {
                _replicationWaitCancelled = true;
            }
        };
        return connection;
    }

    private protected override IMessageRunSql? CreateMessageRunSql(DbConnection connection) => new PostgresMessageRunSql((NpgsqlConnection)connection);

    protected override void BeforeCommit(DbConnection connection, DbTransaction transaction)
    {
        _replicationWaitCancelled = false;
        using var mark = new NpgsqlCommand(
            "INSERT INTO commit_marks (node_id, at) VALUES (@node, @at) ON CONFLICT (node_id) DO UPDATE SET at = excluded.at",
            (NpgsqlConnection)connection,
            (NpgsqlTransaction)transaction);
        mark.Parameters.AddWithValue("node", _node);
        mark.Parameters.AddWithValue("at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        mark.ExecuteNonQuery();
    }

    protected override bool CommitConfirmed(DbConnection connection) => !_replicationWaitCancelled;
}
