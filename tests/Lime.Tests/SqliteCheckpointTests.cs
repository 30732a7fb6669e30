using Lime.Protocol;
using Lime.Server.Storage;
using Lime.Server.Storage.Sqlite;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests;

/// <summary>
/// SQLite connections run with wal_autocheckpoint=0 so that no commit (above all the room writer's) pays for a
/// checkpoint; the background checkpointer must then keep the WAL from growing without bound.
/// </summary>
public sealed class SqliteCheckpointTests
{
    [Fact]
    public async Task The_background_checkpointer_lets_the_wal_start_over_so_it_does_not_grow_with_every_write()
    {
        // Search indexing off: its outbox reads of the fresh messages keep readers on old frames, so the writer's
        // RESTART (which waits 20 ms for them) may give up tick after tick until indexing catches up - the test below
        // covers the WAL starting over under such continuous activity.
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Search:Enabled"] = "false" });
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var writer = server.Services.GetRequiredService<IRoomWriter>();
        string shm = Path.Combine(server.DataDirectory, "lime.db-shm");
        int written = 0;

        Task WriteAsync(string phase, int count) => Task.WhenAll(Enumerable.Range(0, count).Select(i =>
        {
            Interlocked.Increment(ref written);
            return writer.WriteAsync(new AppendMessage(room.Id, alice.Id, $"{phase}-{i}", new string('x', 500), null));
        }));

        // One burst: a long WAL.
        await WriteAsync("a", 1500);
        long framesAfterBurst = WalFrames(shm);

        // A few checkpointer ticks, and (bounded, for a loaded machine) at least one PASSIVE pass since the last batch:
        // every frame is then copied, and the room writer restarts the WAL after its next batch.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var db = server.Services.GetRequiredService<SqliteDatabase>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!db.WalRestartWanted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        // Then rounds of 50 writes until the WAL has started over (its frame count, which only grows between restarts,
        // falls), bounded in count: without checkpoints (wal_autocheckpoint=0) it never does. Rounds, not one burst,
        // because the restart comes after a batch (SqliteRoomWriter.AfterBatch): a round keeps the batch before it
        // small however slowly a loaded machine commits.
        int rounds = 0;
        long previous = framesAfterBurst, frames = framesAfterBurst;
        bool restarted = false;
        while (!restarted && rounds < 100)
        {
            await WriteAsync($"b{rounds++}", 50);
            frames = WalFrames(shm);
            restarted = frames < previous;
            previous = frames;
        }

        Assert.True(restarted, $"after {rounds} rounds of 50 more writes the WAL holds {frames} frames and never started over (after the burst: {framesAfterBurst})");
        var history = await bob.Http.GetHistoryAsync(room.Id, limit: 1);
        Assert.Equal(written + 1, history.Events[^1].Seq);
        Assert.Equal(EventKinds.Message, history.Events[^1].Kind);
    }

    [Fact]
    public async Task Under_continuous_writes_the_wal_still_starts_over_again_and_again()
    {
        await using var server = new LimeServer();
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var writer = server.Services.GetRequiredService<IRoomWriter>();

        // Never a pause for a PASSIVE checkpoint to catch up with: 64 writes always in flight until the WAL has
        // started over 3 times and 2,000 messages are written - bounded by count (the writes go on until then, however
        // slowly a loaded machine commits) and by 90 s (without checkpoints the WAL never starts over: the test fails).
        // Meanwhile the number of frames in the WAL is sampled; it drops only when the WAL starts over.
        int sent = 0;
        int restarts = 0;
        long previous = 0, largest = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var writing = Task.WhenAll(Enumerable.Range(0, 64).Select(async lane =>
        {
            while (!stop.IsCancellationRequested)
            {
                int i = Interlocked.Increment(ref sent);
                await writer.WriteAsync(new AppendMessage(room.Id, alice.Id, $"c-{i}", new string('x', 500), null));
            }
        }));

        string shm = Path.Combine(server.DataDirectory, "lime.db-shm");
        while (!writing.IsCompleted)
        {
            long frames = WalFrames(shm);
            restarts += frames < previous ? 1 : 0;
            largest = Math.Max(largest, frames);
            previous = frames;
            if (restarts >= 3 && sent >= 2_000)
            {
                stop.Cancel();
            }

            await Task.Delay(20);
        }

        await writing;
        Assert.True(restarts >= 3, $"the WAL started over {restarts} times in {sent} messages of continuous writes (up to {largest} frames)");
        var history = await bob.Http.GetHistoryAsync(room.Id, limit: 1);
        Assert.Equal(sent + 1, history.Events[^1].Seq);
    }

    /// <summary>
    /// Frames now in the WAL: mxFrame of the wal-index header at the start of the -shm file (sqlite.org/walformat.html,
    /// "The WAL-Index Header": a 32-bit integer at offset 16, native byte order). Read from the file so that measuring
    /// does not checkpoint (a checkpoint of our own would help the WAL start over).
    /// </summary>
    private static long WalFrames(string shm)
    {
        using var file = new FileStream(shm, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[20];
        file.ReadExactly(header);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
    }
}
