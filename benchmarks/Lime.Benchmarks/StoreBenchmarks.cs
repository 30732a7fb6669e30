using System.Globalization;
using BenchmarkDotNet.Attributes;
using Lime.Protocol;
using Lime.Server;
using Lime.Server.Chat;
using Lime.Server.Fanout;
using Lime.Server.Storage;
using Lime.Server.Storage.Sql;
using Lime.Server.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lime.Benchmarks;

/// <summary>
/// The SQLite room writer (WAL, synchronous=FULL) committing exactly one batch of N messages spread over 64 direct
/// rooms, in a temporary file. Exact batches: the writer thread is held inside Publish (which it calls after each
/// commit) while the next invocation queues its N writes; releasing it makes it take all N in one transaction. One
/// invocation = queue N writes + one transaction (N × duplicate check, member check, event insert, outbox insert,
/// room and read-watermark update) + COMMIT with its fsyncs.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks : IDisposable
{
    private const int Rooms = 64;
    private readonly GateFanout _fanout = new();
    private string _dir = "";
    private SqliteRoomWriter _writer = null!;
    private (long Room, long Sender)[] _targets = [];
    private long _next;

    [Params(1, 32, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "lime-bdn-" + Guid.NewGuid().ToString("N")[..8]);
        var options = Options.Create(new LimeOptions { Storage = { DataDirectory = _dir, MaxBatch = 1024 } });
        var db = new SqliteDatabase(options);
        db.Migrate();
        var accounts = new SqlAccountStore(db);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var users = Enumerable.Range(0, 2 * Rooms)
            .Select(i => accounts.CreateUserAsync("bdn" + i.ToString(CultureInfo.InvariantCulture), "bdn", "x", now, CancellationToken.None).GetAwaiter().GetResult()!.Id)
            .ToArray();

        _writer = new SqliteRoomWriter(db, _fanout, new Snowflake(1), new Lime.Server.Diagnostics.LimeMetrics(), options, NullLogger<SqliteRoomWriter>.Instance);
        _writer.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        _targets = new (long, long)[Rooms];
        for (int r = 0; r < Rooms; r++)
        {
            long a = users[2 * r], b = users[(2 * r) + 1];
            var created = _writer.WriteAsync(new CreateRoom(RoomKinds.Direct, null, null, a, [b], $"{a}:{b}")).GetAwaiter().GetResult();
            _targets[r] = (created.Room!.Id, a);
        }

        // Hold the writer: the next commit's Publish blocks until an invocation releases it.
        _fanout.Hold = true;
        _ = _writer.WriteAsync(Append());
        _fanout.WaitEntered();
    }

    [Benchmark(Description = "SQLite append batch")]
    public void AppendBatch()
    {
        for (int i = 0; i < Batch; i++)
        {
            _ = _writer.WriteAsync(Append());
        }

        _fanout.Release();     // the writer finishes the previous batch, then takes these N in one transaction
        _fanout.WaitEntered(); // ... and is held again right after committing them
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fanout.Hold = false;
        _fanout.Release();
        _writer.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        _writer.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    public void Dispose()
    {
        _fanout.Dispose();
        GC.SuppressFinalize(this);
    }

    private AppendMessage Append()
    {
        long n = ++_next;
        var (room, sender) = _targets[n % Rooms];
        return new AppendMessage(room, sender, n.ToString(CultureInfo.InvariantCulture), "t=123456789012;" + new string('x', 49), null);
    }

    /// <summary>A fanout that, while <see cref="Hold"/> is set, parks the writer thread in Publish until released.</summary>
    private sealed class GateFanout : IFanout, IDisposable
    {
        private readonly SemaphoreSlim _entered = new(0);
        private readonly SemaphoreSlim _permit = new(0);

        public volatile bool Hold;

        public void Publish(IReadOnlyList<EventDto> events)
        {
            if (Hold)
            {
                _entered.Release();
                _permit.Wait();
            }
        }

        public void Signal(Signal signal)
        {
        }

        public void WaitEntered() => _entered.Wait();

        public void Release() => _permit.Release();

        public void Dispose()
        {
            _entered.Dispose();
            _permit.Dispose();
        }
    }
}
