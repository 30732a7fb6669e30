using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Lime.Client;
using Lime.Protocol;

namespace Lime.Bench;

/// <summary>
/// The dm load: users in pairs, one direct room and one WebSocket each, both members sending. Sends are open
/// loop: each member has a fixed schedule and a send goes out at its scheduled time whatever happened to the
/// previous one (many in flight per socket), and latency counts from the scheduled time — a stalled server
/// shows up as latency, not as a lower send rate. A few dedicated scheduler threads (not one timer per member)
/// issue the sends; the SDK's one receive loop per socket feeds one consumer per member.
/// </summary>
internal sealed class DmLoad : IAsyncDisposable
{
    private static readonly TimeSpan Lead = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MonitorPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest a drain may last while an overloaded server is still catching up.</summary>
    private static readonly TimeSpan MaxDrain = TimeSpan.FromSeconds(60);

    private readonly BenchOptions _options;
    private readonly DmMember[] _members;
    private readonly DmMember[][] _groups;
    private readonly Task[] _receivers;
    private readonly Random _random;
    private readonly ErrorTally _connectionErrors = new();
    private volatile DmStep? _current;
    private long _inFlight;
    private volatile bool _closing;
    private int _rateLimited;

    private DmLoad(BenchOptions options, DmMember[] members)
    {
        _options = options;
        _members = members;
        _random = new Random(options.Seed);
        int groups = Math.Clamp(Environment.ProcessorCount, 1, Math.Min(4, members.Length));
        _groups = Enumerable.Range(0, groups).Select(g => members.Where(m => m.Index % groups == g).ToArray()).ToArray();
        _receivers = members.Select(m => Task.Run(() => WatchAsync(m))).ToArray();
    }

    /// <summary>True once any send was refused with rate_limited: the server runs with its default limits.</summary>
    public bool SawRateLimit => Volatile.Read(ref _rateLimited) != 0;

    public int Users => _members.Length;

    /// <summary>Registers the users, creates one direct room per pair and connects every user, all concurrently.</summary>
    public static async Task<DmLoad> SetUpAsync(BenchOptions options, Nodes nodes, ProgressLine progress, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        string tag = Population.NewTag();
        progress.Set($"setup: registering {options.Users} users");
        var users = await Population.RegisterAsync(nodes, tag, options.Users, ct);
        progress.Set($"setup: creating {options.Users / 2} direct rooms");
        var pairs = Enumerable.Range(0, users.Length / 2).Select(p => (users[2 * p], users[(2 * p) + 1])).ToArray();
        var rooms = await Population.CreateDirectRoomsAsync(pairs, ct);
        progress.Set($"setup: connecting {options.Users} sockets");
        var sockets = await Population.ConnectAsync(users, ct);
        var members = users.Select(u => new DmMember(u.Index, u, rooms[u.Index / 2].Id, sockets[u.Index])).ToArray();
        foreach (var m in members)
        {
            m.Peer = members[m.Index ^ 1];
        }

        progress.Log($"setup: {users.Length} users, {rooms.Length} direct rooms, {sockets.Length} sockets on {nodes.Urls.Count} node(s) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return new DmLoad(options, members);
    }

    /// <summary>
    /// Runs warm-up plus the measured duration at <paramref name="rate"/> messages/s in total, then drains.
    /// Cancelling stops the sends early (the drain still runs, bounded by --drain).
    /// </summary>
    public async Task<DmResult> RunAsync(string scenario, double rate, ProgressLine progress, CancellationToken ct)
    {
        long frequency = Stopwatch.Frequency;
        long start = Stopwatch.GetTimestamp() + (long)(Lead.TotalSeconds * frequency);
        long measureStart = start + (long)(_options.WarmupSeconds * frequency);
        long end = measureStart + (long)(_options.DurationSeconds * frequency);
        var step = new DmStep(scenario, rate, start, measureStart, end, _members.Length);

        // Each member sends rate/N per second; a random phase keeps members from firing in lockstep.
        double interval = frequency * (double)_members.Length / rate;
        foreach (var m in _members)
        {
            m.StartSchedule(start + (long)(_random.NextDouble() * interval), interval);
        }

        _current = step;
        int? serverPid = ServerProcess.TryResolve(_options);
        double? serverBefore = ServerProcess.CpuSeconds(serverPid);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        long wallBefore = Stopwatch.GetTimestamp();
        var schedulers = _groups.Select(group => Task.Factory.StartNew(
            () => RunSchedule(group, step, ct), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        var sending = Task.WhenAll(schedulers);
        while (!sending.IsCompleted)
        {
            await Task.WhenAny(sending, Task.Delay(MonitorPeriod, CancellationToken.None));
            step.Sample();
            progress.Set(Describe(step, Stopwatch.GetTimestamp() < measureStart ? "warm-up" : "measure"));
        }

        await sending;

        // Drain until nothing is in flight and every acked message has reached its peer; an overloaded server may
        // still be working through a backlog, so the drain lasts while acks or deliveries keep coming, and ends after
        // --drain seconds without any progress (or at the hard cap). What is still missing then is lost.
        long quiet = (long)(_options.DrainSeconds * frequency);
        long cap = Stopwatch.GetTimestamp() + (long)(Math.Max(_options.DrainSeconds, MaxDrain.TotalSeconds) * frequency);
        long lastProgress = step.Progress, lastChange = Stopwatch.GetTimestamp();
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (Interlocked.Read(ref _inFlight) == 0 && step.Delivered >= step.Acked && step.CountUndelivered(_members) == 0)
            {
                break;
            }

            if (now - lastChange > quiet || now > cap)
            {
                break;
            }

            await Task.Delay(50, CancellationToken.None); // bounded by the quiet period and the cap, not by Ctrl+C
            long seen = step.Progress;
            if (seen != lastProgress)
            {
                lastProgress = seen;
                lastChange = Stopwatch.GetTimestamp();
            }

            step.Sample();
            progress.Set(Describe(step, "drain"));
        }

        _current = null; // later deliveries no longer count: they are lost for this step
        // Share of one core used by this process from the first send to the end of the drain.
        double wall = Stopwatch.GetElapsedTime(wallBefore).TotalSeconds;
        double cpu = 100 * (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds / wall;
        double? serverCpu = ServerProcess.CpuSeconds(serverPid) - serverBefore;
        var result = step.Finish(_members, cpu) with { ServerCpu = serverCpu is { } used ? new ServerCpu(used, wall) : null };
        foreach (var (code, count) in _connectionErrors.Snapshot())
        {
            result.Errors[code] = result.Errors.GetValueOrDefault(code) + count;
        }

        _connectionErrors.Clear();
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        await Population.CloseAllAsync(_members.Select(m => m.Socket));
        await Task.WhenAll(_receivers);
    }

    private string Describe(DmStep step, string phase)
    {
        double elapsed = (Stopwatch.GetTimestamp() - step.Start) / (double)Stopwatch.Frequency;
        double total = (step.ScheduleEnd - step.Start) / (double)Stopwatch.Frequency;
        return string.Create(CultureInfo.InvariantCulture,
            $"{step.Scenario} {step.OfferedRate:F0} msg/s  {phase} {Math.Min(elapsed, total):F1}/{total:F0} s  sent {step.Sent}  acked {step.Acked}  delivered {step.Delivered}  in flight {Interlocked.Read(ref _inFlight)}  errors {step.Errors.Total}  p99 (last 0.5 s) ack {step.Ack.IntervalP99Ms:F1} ms  deliver {step.Deliver.IntervalP99Ms:F1} ms");
    }

    /// <summary>
    /// One scheduler thread: issues every due send of its members, then sleeps until the next one is due
    /// (<see cref="PreciseSleep"/>: tens of microseconds late, and it never spins on a box it shares with the server).
    /// A late wake-up sends the backlog at once; its lateness is part of the measured latency, and shows separately as
    /// issue lag.
    /// </summary>
    private void RunSchedule(DmMember[] group, DmStep step, CancellationToken ct)
    {
        long end = step.ScheduleEnd;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= end || ct.IsCancellationRequested)
            {
                return;
            }

            long earliest = end;
            foreach (var m in group)
            {
                long due = m.NextDue;
                while (due <= now && due < end)
                {
                    Issue(m, due, step);
                    m.Advance();
                    due = m.NextDue;
                }

                earliest = Math.Min(earliest, due);
            }

            long wait = earliest - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                PreciseSleep.For(wait);
            }
        }
    }

    private void Issue(DmMember m, long scheduled, DmStep step)
    {
        bool measured = step.IsMeasured(scheduled);
        if (measured)
        {
            step.OnSent(Stopwatch.GetTimestamp() - scheduled);
        }

        if (!m.Alive)
        {
            if (measured)
            {
                step.OnFailed("closed");
            }

            return;
        }

        if (Interlocked.Read(ref _inFlight) >= _options.MaxInFlight)
        {
            if (measured)
            {
                step.OnFailed(ErrorTally.ClientBacklog);
            }

            return;
        }

        Interlocked.Increment(ref _inFlight);
        _ = SendAsync(m, scheduled, measured, step);
    }

    private async Task SendAsync(DmMember m, long scheduled, bool measured, DmStep step)
    {
        try
        {
            var ack = await m.Socket.SendMessageAsync(m.Room, m.NextClientMsgId(), MessageText.Create(scheduled, _options.MessageBytes));
            if (measured)
            {
                step.OnAck(m.Index, ack.Seq, scheduled, Stopwatch.GetTimestamp());
            }
        }
        catch (LimeSocketException e)
        {
            if (e.Code == ErrorCodes.RateLimited)
            {
                Volatile.Write(ref _rateLimited, 1);
            }

            if (measured)
            {
                step.OnFailed(e.Code);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            if (measured)
            {
                step.OnFailed(e.GetType().Name);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Consumes one member's events; a connection that ends while the load runs is an error.</summary>
    private async Task WatchAsync(DmMember m)
    {
        await m.ReceiveAsync(() => _current);
        if (!_closing)
        {
            string code = m.Socket.CloseCode is { } close
                ? string.Create(CultureInfo.InvariantCulture, $"socket_closed_{close}")
                : "socket_dropped";
            _connectionErrors.Add(code);
        }
    }
}
