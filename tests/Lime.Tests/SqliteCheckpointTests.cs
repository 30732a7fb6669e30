using Lime.Protocol;
using Lime.Server.Storage;
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
        await using var server = new LimeServer();
        var alice = await server.NewUserAsync();
        var bob = await server.NewUserAsync();
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var writer = server.Services.GetRequiredService<IRoomWriter>();
        string wal = Path.Combine(server.DataDirectory, "lime.db-wal");

        async Task<long> WriteAndMeasureAsync(string phase)
        {
            await Task.WhenAll(Enumerable.Range(0, 1500).Select(i =>
                writer.WriteAsync(new AppendMessage(room.Id, alice.Id, $"{phase}-{i}", new string('x', 500), null))));
            return new FileInfo(wal).Length;
        }

        long afterFirst = await WriteAndMeasureAsync("a");
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // a few checkpointer ticks: every frame copied to the database
        long afterSecond = await WriteAndMeasureAsync("b");

        // Without checkpoints the second phase appends as much again (about 2x); with them it reuses the WAL from its start.
        Assert.True(afterFirst > 500_000, $"the first phase wrote only {afterFirst} bytes of WAL");
        Assert.True(afterSecond < afterFirst * 1.5, $"WAL grew from {afterFirst} to {afterSecond} bytes");
        var history = await bob.Http.GetHistoryAsync(room.Id, limit: 1);
        Assert.Equal(3001, history.Events[^1].Seq);
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

        // Never a pause for a PASSIVE checkpoint to catch up with: 64 writes always in flight for 4 s (8 checkpointer
        // ticks). Meanwhile the number of frames in the WAL is sampled; it drops only when the WAL starts over.
        int sent = 0;
        var until = DateTime.UtcNow.AddSeconds(4);
        var writing = Task.WhenAll(Enumerable.Range(0, 64).Select(async lane =>
        {
            while (DateTime.UtcNow < until)
            {
                int i = Interlocked.Increment(ref sent);
                await writer.WriteAsync(new AppendMessage(room.Id, alice.Id, $"c-{i}", new string('x', 500), null));
            }
        }));

        int restarts = 0;
        long previous = 0, largest = 0;
        string shm = Path.Combine(server.DataDirectory, "lime.db-shm");
        while (!writing.IsCompleted)
        {
            long frames = WalFrames(shm);
            restarts += frames < previous ? 1 : 0;
            largest = Math.Max(largest, frames);
            previous = frames;
            await Task.Delay(20);
        }

        await writing;
        Assert.True(largest > 1_000, $"the load left only {largest} frames in the WAL");
        Assert.True(restarts >= 3, $"the WAL started over {restarts} times in 4 s of writes ({sent} messages, up to {largest} frames)");
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
