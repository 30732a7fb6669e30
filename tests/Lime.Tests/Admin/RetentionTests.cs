using Lime.Client;
using Lime.Protocol;
using Lime.Server.Admin;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Admin;

/// <summary>
/// Retention on both backends: the job removes exactly the events older than each room's TTL (its own, else the
/// server default; 0 keeps everything), in bounded batches, while seq order, history and sync stay consistent. The
/// job's clock is a fake one moved past the TTL; the messages keep their real times.
/// </summary>
public abstract class RetentionTests : IAsyncLifetime
{
    private const long Day = 86_400_000;
    private readonly FakeClock _clock = new(DateTimeOffset.UtcNow);
    private readonly TestBackend _backend;
    private readonly LimeServer _server;

    protected RetentionTests(TestBackend backend, int defaultDays)
    {
        _backend = backend;
        _server = new LimeServer(backend, new Dictionary<string, string?>
        {
            ["Lime:Retention:DefaultTtlDays"] = defaultDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Lime:Retention:BatchSize"] = "2",
        })
        {
            ConfigureHost = host => host.ConfigureServices(s => s.AddSingleton<TimeProvider>(_clock)),
        };
    }

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(_backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Task<long> RunRetentionAsync() => _server.Services.GetRequiredService<RetentionJob>().RunOnceAsync(CancellationToken.None);

    [Fact]
    public async Task Exactly_the_events_older_than_the_ttl_go_and_history_and_sync_report_the_retained_start()
    {
        var owner = await _server.NewUserAsync("owner");
        var member = await _server.NewUserAsync("member");
        var ttl = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "ttl", Members: [member.Id]));
        var keep = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "keep"));
        var byDefault = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "default"));
        var set = await owner.Http.SetRetentionAsync(ttl.Id, 1);
        Assert.True(set.Changed);
        Assert.False((await owner.Http.SetRetentionAsync(ttl.Id, 1)).Changed); // the same again: no event
        await owner.Http.SetRetentionAsync(keep.Id, 0);

        var old = new List<AckDto>();
        foreach (var room in new[] { ttl, keep, byDefault })
        {
            for (int i = 0; i < 5; i++)
            {
                old.Add(await owner.Http.SendAsync(room.Id, new SendMessageRequest($"o{room.Id}-{i}", $"old {i}")));
            }
        }

        await Task.Delay(20); // the newer messages get a later millisecond
        var fresh = await owner.Http.SendAsync(ttl.Id, new SendMessageRequest("fresh", "fresh one"));
        Assert.True(fresh.Ts > old.Max(a => a.Ts));

        // One day after the fresh message: the cutoff is its time, so everything older goes and it stays.
        _clock.Set(fresh.Ts + Day);
        var historyBefore = await owner.Http.GetHistoryAsync(ttl.Id, limit: 100);
        long removed = await RunRetentionAsync();

        // ttl room: room_created, members, retention_changed and the 5 old messages go; the fresh one stays.
        var history = await member.Http.GetHistoryAsync(ttl.Id, limit: 100);
        long oldestKept = historyBefore.Events.First(e => e.Ts >= fresh.Ts).Seq;
        Assert.Equal(oldestKept, history.RetainedFrom);
        Assert.Equal(fresh.Seq, history.Events.First().Seq);
        Assert.DoesNotContain(history.Events, e => e.Kind == EventKinds.Message && e.Text!.StartsWith("old", StringComparison.Ordinal));
        Assert.False(history.HasMoreBefore);
        Assert.All(history.Events.Where(e => e.Kind == EventKinds.HistoryPurged), e => Assert.True(e.Target <= oldestKept));
        Assert.Equal(historyBefore.Events.Count(e => e.Seq < oldestKept) + ExpectedDefaultRemoved, removed);

        // keep room (TTL 0) is untouched; the default-TTL room follows Lime:Retention:DefaultTtlDays.
        Assert.Null((await owner.Http.GetHistoryAsync(keep.Id, limit: 100)).RetainedFrom);
        Assert.Equal(7, (await owner.Http.GetHistoryAsync(keep.Id, limit: 100)).Events.Length);
        var defaultHistory = await owner.Http.GetHistoryAsync(byDefault.Id, limit: 100);
        Assert.Equal(ExpectedDefaultRemoved == 0 ? null : ExpectedDefaultRemoved + 1, defaultHistory.RetainedFrom);
        Assert.Equal(ExpectedDefaultRemoved == 0 ? 5 : 0, defaultHistory.Events.Count(e => e.Kind == EventKinds.Message));

        // Sync from the start agrees, and a second pass finds nothing more (no churn on its own events).
        var sync = Assert.Single((await member.Http.SyncAsync([new SyncCursor(ttl.Id, 0)])).Rooms);
        Assert.Equal(oldestKept, sync.RetainedFrom);
        Assert.All(sync.Events, e => Assert.True(e.Seq >= oldestKept));
        Assert.Equal(0, await RunRetentionAsync());
        var next = await owner.Http.SendAsync(ttl.Id, new SendMessageRequest("next", "after retention"));
        Assert.Equal(history.Events[^1].Seq + 1, next.Seq);
    }

    [Fact]
    public async Task A_room_ttl_out_of_range_is_refused_and_only_owners_and_admins_set_it()
    {
        var owner = await _server.NewUserAsync("owner");
        var member = await _server.NewUserAsync("member");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "ttl", Members: [member.Id]));
        foreach (int days in new[] { -1, 3651 })
        {
            var e = await Assert.ThrowsAsync<LimeApiException>(() => owner.Http.SetRetentionAsync(room.Id, days));
            Assert.Equal((400, ErrorCodes.Validation), (e.Status, e.Code));
        }

        var notModerator = await Assert.ThrowsAsync<LimeApiException>(() => member.Http.SetRetentionAsync(room.Id, 5));
        Assert.Equal((403, ErrorCodes.Forbidden), (notModerator.Status, notModerator.Code));
        Assert.Single((await owner.Http.GetHistoryAsync(room.Id)).Events); // room_created only: no retention_changed event
        var ack = await owner.Http.SetRetentionAsync(room.Id, 30);
        var changed = (await owner.Http.GetHistoryAsync(room.Id)).Events[^1];
        Assert.Equal((EventKinds.RetentionChanged, 30, ack.Seq), (changed.Kind, changed.RetentionDays, (long?)changed.Seq));
    }

    /// <summary>Events the default TTL removes from the "default" room (room_created and 5 messages) when it is on.</summary>
    protected abstract int ExpectedDefaultRemoved { get; }

    private sealed class FakeClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Set(long unixMs) => Interlocked.Exchange(ref _ticks, DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcTicks);
    }
}

/// <summary>Server default off (0): only the rooms with a TTL of their own lose history.</summary>
public sealed class SqliteRetentionTests() : RetentionTests(TestBackend.Sqlite, 0)
{
    protected override int ExpectedDefaultRemoved => 0;
}

public sealed class PostgresRetentionTests() : RetentionTests(TestBackend.PostgresRedis, 0)
{
    protected override int ExpectedDefaultRemoved => 0;
}

/// <summary>Server default one day: the room without a TTL of its own loses its old history too.</summary>
public sealed class SqliteDefaultRetentionTests() : RetentionTests(TestBackend.Sqlite, 1)
{
    protected override int ExpectedDefaultRemoved => 6;
}

public sealed class PostgresDefaultRetentionTests() : RetentionTests(TestBackend.PostgresRedis, 1)
{
    protected override int ExpectedDefaultRemoved => 6;
}
