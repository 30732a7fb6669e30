using System.Diagnostics;
using Lime.Server.Diagnostics;

namespace Lime.Server.Storage.Sqlite;

/// <summary>
/// Moves committed pages from the WAL into the database file on a connection of its own, every
/// <see cref="Interval"/>. SQLite would otherwise checkpoint inside whichever commit crosses 1,000 WAL pages — usually
/// the room writer's — and with synchronous=FULL that commit then also copies the pages and fsyncs the database file,
/// so every message waiting on that commit waits for the checkpoint too. Connections open with
/// wal_autocheckpoint=0 (<see cref="SqliteDatabase.Open"/>). A PASSIVE checkpoint never blocks the writer, but on
/// its own it cannot keep the WAL short under continuous writes: the WAL starts over only when a write begins with
/// every frame already copied, which never happens while the room writer keeps appending (at 8,000 msgs/s it grew to
/// 1.6 GB in 18 s, and every commit paid for extending the file). So after each PASSIVE pass the room writer is asked
/// to copy the few frames appended since with a RESTART checkpoint of its own, between two batches
/// (<see cref="SqliteRoomWriter"/>); its next commit then starts the WAL from the beginning.
/// </summary>
public sealed class SqliteCheckpointer(SqliteDatabase db, ILogger<SqliteCheckpointer> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // A thread-pool thread blocked for the copy and fsync: at most one at a time, twice a second.
                    await Task.Run(Checkpoint, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.CheckpointFailed(log, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Checkpoint(); // leave a short WAL behind on a clean stop
    }

    private void Checkpoint()
    {
        using var connection = db.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        long started = Stopwatch.GetTimestamp();
        command.ExecuteNonQuery();
        db.WalRestartWanted = true; // the room writer finishes the job between two batches (SqliteRoomWriter)
        if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(1))
        {
            Log.CheckpointSlow(log, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
