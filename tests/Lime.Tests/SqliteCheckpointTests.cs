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
}
