using System.Data.Common;
using Lime.Server.Chat;
using Lime.Server.Diagnostics;
using Lime.Server.Fanout;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;

namespace Lime.Server.Storage.Sqlite;

/// <summary>
/// The room writer on SQLite: this process is the only writer, and a COMMIT in WAL mode with synchronous=FULL is
/// durable when it returns.
/// </summary>
public sealed class SqliteRoomWriter(SqliteDatabase db, IFanout fanout, Snowflake ids, LimeMetrics metrics, IOptions<LimeOptions> options, ILogger<SqliteRoomWriter> log)
    : RoomWriter(db, fanout, ids, metrics, options, log)
{
    /// <summary>How long the RESTART checkpoint may wait for readers still on old WAL frames (or another writer).</summary>
    public static readonly TimeSpan RestartWait = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// After a background PASSIVE checkpoint (<see cref="SqliteCheckpointer"/>), copies the frames appended since and
    /// makes the next commit start the WAL over. Here, between two batches, nothing of this writer's competes for the
    /// write lock; the copy is short because the bulk is done. Busy readers make it give up until the next tick.
    /// </summary>
    protected override void AfterBatch(DbConnection connection)
    {
        if (!db.WalRestartWanted)
        {
            return;
        }

        db.WalRestartWanted = false;
        using var command = connection.CreateCommand();
        try
        {
            // Blocked by a reader it reports busy in its result row (no error) and the WAL goes on until the next tick.
            command.CommandText = $"PRAGMA busy_timeout={(int)RestartWait.TotalMilliseconds}; PRAGMA wal_checkpoint(RESTART);";
            command.ExecuteNonQuery();
        }
        finally
        {
            command.CommandText = $"PRAGMA busy_timeout={SqliteDatabase.BusyTimeoutMs};";
            command.ExecuteNonQuery();
        }
    }
}
