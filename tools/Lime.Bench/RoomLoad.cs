using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Lime.Client;
using Lime.Protocol;

namespace Lime.Bench;

/// <summary>
/// The one load behind dm, sweep, group, channel and mixed: users with one socket each, rooms of any size (a direct
/// room is a room of two), and senders (a user in a room) with open-loop schedules whose rates add up to the offered
/// rate. Each send goes out at its scheduled time whatever happened to earlier ones (many in flight per socket) and
/// latency counts from the scheduled time, so a stalled server shows up as latency, not as a lower send rate. A few
/// dedicated scheduler threads (not one timer per sender) issue every send; the SDK's one receive loop per socket
/// feeds one consumer per member; the drain waits until every acked message has reached every member.
/// Optional extras for mixed: read receipts after every N-th received message, typing before every N-th send.
/// </summary>
internal sealed class RoomLoad : IAsyncDisposable
{
    private static readonly TimeSpan Lead = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MonitorPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest a drain may last while an overloaded server is still catching up.</summary>
    private static readonly TimeSpan MaxDrain = TimeSpan.FromSeconds(60);

    private readonly BenchOptions _options;
    private readonly LoadMember[] _members;
    private readonly LoadRoom[] _rooms;
    private readonly LoadSender[][] _groups;
    private readonly int[] _readEvery = new int[Enum.GetValues<RoomKind>().Length];
    private readonly int _typingEvery;
    private readonly Task[] _receivers;
    private readonly Random _random;
    private readonly ErrorTally _connectionErrors = new();
    private readonly ServerPids _servers;
    private volatile LoadStep? _current;
    private long _inFlight;
    private long _signals;
    private long _issued;
    private volatile bool _closing;
    private int _rateLimited;

    private RoomLoad(BenchOptions options, LoadMember[] members, LoadRoom[] rooms, LoadSender[] senders, int dmReadEvery, int groupReadEvery, int typingEvery)
    {
        _options = options;
        _members = members;
        _rooms = rooms;
        Senders = senders;
        _readEvery[(int)RoomKind.Dm] = dmReadEvery;
        _readEvery[(int)RoomKind.Group] = groupReadEvery;
        _typingEvery = typingEvery;
        _random = new Random(options.Seed);
        _servers = ServerProcess.Find(options);
        int groups = Math.Clamp(Environment.ProcessorCount, 1, Math.Max(1, Math.Min(4, senders.Length)));
        _groups = Enumerable.Range(0, groups).Select(g => senders.Where((_, i) => i % groups == g).ToArray()).ToArray();
        _receivers = members.SelectMany(m => new[] { Task.Run(() => WatchAsync(m)), Task.Run(() => m.DrainSignalsAsync(this)) }).ToArray();
    }

    public IReadOnlyList<LoadSender> Senders { get; }

    public int Users => _members.Length;

    public bool SawRateLimit => Volatile.Read(ref _rateLimited) != 0;

    /// <summary>Read receipts, typing and presence frames received so far (mixed).</summary>
    public long Signals => Interlocked.Read(ref _signals);

    /// <summary>
    /// Connects every user and builds the load. <paramref name="roomsOfUser"/> lists, per user index, the rooms it is
    /// in; sender weights are relative shares of the rate. Read and typing intervals are 0 (off) except in mixed.
    /// </summary>
    public static async Task<RoomLoad> ConnectAsync(
        BenchOptions options, BenchUser[] users, LoadRoom[] rooms, LoadSender[] senders, ProgressLine progress, CancellationToken ct,
        int dmReadEvery = 0, int groupReadEvery = 0, int typingEvery = 0)
    {
        var roomsOfUser = new List<LoadRoom>[users.Length];
        for (int i = 0; i < users.Length; i++)
        {
            roomsOfUser[i] = [];
        }

        foreach (var room in rooms)
        {
            foreach (int m in room.Members)
            {
                roomsOfUser[m].Add(room);
            }
        }

        progress.Set($"setup: connecting {users.Length} sockets");
        var sockets = await Population.ConnectAsync(users, ct);
        var members = users.Select((u, i) => new LoadMember(i, u, sockets[i], roomsOfUser[i])).ToArray();
        var load = new RoomLoad(options, members, rooms, senders, dmReadEvery, groupReadEvery, typingEvery);
        progress.Log(load._servers.Describe());
        return load;
    }

    public int ReadEvery(RoomKind kind) => _readEvery[(int)kind];

    public void OnSignal() => Interlocked.Increment(ref _signals);

    /// <summary>
    /// Runs warm-up plus the measured duration at <paramref name="rate"/> messages/s in total, then drains. Runs again
    /// on the same sockets for the next sweep step. Cancelling stops the sends early (the drain still runs, bounded).
    /// </summary>
    public async Task<LoadResult> RunAsync(string scenario, double rate, ProgressLine progress, CancellationToken ct)
    {
        long frequency = Stopwatch.Frequency;
        long start = Stopwatch.GetTimestamp() + (long)(Lead.TotalSeconds * frequency);
        long measureStart = start + (long)(_options.WarmupSeconds * frequency);
        long end = measureStart + (long)(_options.DurationSeconds * frequency);
        double totalWeight = Senders.Sum(s => s.Weight);
        double offeredDeliveries = Senders.Sum(s => rate * s.Weight / totalWeight * (s.Room.Members.Length - 1));
        var step = new LoadStep(scenario, rate, offeredDeliveries, start, measureStart, end, _rooms.Length);

        // Each sender sends rate × its share of the weights per second; a random phase keeps senders from firing in lockstep.
        foreach (var s in Senders)
        {
            double interval = frequency / (rate * s.Weight / totalWeight);
            s.StartSchedule(start + (long)(_random.NextDouble() * interval), interval);
        }

        _current = step;
        var meter = StartMeterAsync(measureStart, ct);
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

        // Drain until nothing is in flight and every acked message has reached every member; an overloaded server may
        // still be working through a backlog, so the drain lasts while acks or deliveries keep coming, and ends after
        // --drain seconds without any progress (or at the hard cap). What is still missing then is lost. The exact
        // count is O(acked × members), so it runs only once the copy counter says everything may have arrived.
        long quiet = (long)(_options.DrainSeconds * frequency);
        long cap = Stopwatch.GetTimestamp() + (long)(Math.Max(_options.DrainSeconds, MaxDrain.TotalSeconds) * frequency);
        long lastProgress = step.Progress, lastChange = Stopwatch.GetTimestamp();
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (Interlocked.Read(ref _inFlight) == 0 && step.UniqueCopies >= step.ExpectedCopies && step.CountUndelivered(_rooms, _members) == 0)
            {
                break;
            }

            if (now - lastChange > quiet || now > cap)
            {
                break;
            }

            await Task.Delay(50, CancellationToken.None);
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
        var result = step.Finish(_rooms, _members, (await meter).Stop());
        foreach (var (code, count) in _connectionErrors.Snapshot())
        {
            result.Errors[code] = result.Errors.GetValueOrDefault(code) + count;
        }

        _connectionErrors.Clear();
        return result;
    }

    /// <summary>
    /// Starts the CPU meter when the measured window opens (at once if cancelled earlier), so CPU per message counts the
    /// measured messages only: warm-up sends, and a fresh server's JIT work during them, stay out.
    /// </summary>
    private async Task<CpuMeter> StartMeterAsync(long measureStart, CancellationToken ct)
    {
        var wait = TimeSpan.FromSeconds((measureStart - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C during the warm-up: measure what is left.
            }
        }

        return CpuMeter.Start(_servers);
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        await Population.CloseAllAsync(_members.Select(m => m.Socket));
        await Task.WhenAll(_receivers);
    }

    /// <summary>Called by a member for each message copy it receives.</summary>
    public void OnDelivered(LoadRoom room, long scheduled, long arrived, bool own, bool duplicate, bool outOfOrder)
    {
        if (_current is { } step && step.IsMeasured(scheduled))
        {
            step.OnDelivered(room.Kind, arrived - scheduled, arrived, own, duplicate, outOfOrder);
        }
    }

    /// <summary>A member marks a room read up to <paramref name="seq"/> (fire and forget; the reply is timed).</summary>
    public void MarkRead(LoadMember member, LoadRoom room, long seq)
    {
        if (_current is not { } step || !member.Alive)
        {
            return;
        }

        step.OnReadSent();
        Interlocked.Increment(ref _inFlight);
        _ = ReadAsync(member, room, seq, step);
    }

    private async Task ReadAsync(LoadMember member, LoadRoom room, long seq, LoadStep step)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await member.Socket.MarkReadAsync(room.Id, seq);
            step.OnReadDone(Stopwatch.GetTimestamp() - started, null);
        }
        catch (LimeSocketException e)
        {
            step.OnReadDone(0, e.Code);
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            step.OnReadDone(0, e.GetType().Name);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private string Describe(LoadStep step, string phase)
    {
        double elapsed = (Stopwatch.GetTimestamp() - step.Start) / (double)Stopwatch.Frequency;
        double total = (step.ScheduleEnd - step.Start) / (double)Stopwatch.Frequency;
        return string.Create(CultureInfo.InvariantCulture,
            $"{step.Scenario} {step.OfferedRate:F0} msg/s  {phase} {Math.Min(elapsed, total):F1}/{total:F0} s  sent {step.Sent}  acked {step.Acked}  copies {step.UniqueCopies}/{step.ExpectedCopies}  in flight {Interlocked.Read(ref _inFlight)}  errors {step.Errors.Total}  p99 (last 0.5 s) ack {step.Ack.IntervalP99Ms:F1} ms  deliver {step.Deliver.IntervalP99Ms:F1} ms");
    }

    /// <summary>
    /// One scheduler thread: issues every due send of its senders, then sleeps until the next one is due
    /// (<see cref="PreciseSleep"/>: tens of microseconds late, and it never spins on a box it shares with the server).
    /// A late wake-up sends the backlog at once; its lateness is part of the measured latency, and shows separately as
    /// issue lag.
    /// </summary>
    private void RunSchedule(LoadSender[] group, LoadStep step, CancellationToken ct)
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
            foreach (var s in group)
            {
                long due = s.NextDue;
                while (due <= now && due < end)
                {
                    Issue(s, due, step);
                    s.Advance();
                    due = s.NextDue;
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

    private void Issue(LoadSender s, long scheduled, LoadStep step)
    {
        bool measured = step.IsMeasured(scheduled);
        if (measured)
        {
            step.OnSent(Stopwatch.GetTimestamp() - scheduled);
        }

        var member = _members[s.User];
        if (!member.Alive)
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

        if (_typingEvery > 0 && Interlocked.Increment(ref _issued) % _typingEvery == 0)
        {
            step.OnTypingSent();
            _ = TypingAsync(member.Socket, s.Room.Id);
        }

        Interlocked.Increment(ref _inFlight);
        _ = SendAsync(member, s, scheduled, measured, step);
    }

    private static async Task TypingAsync(LimeSocket socket, long room)
    {
        try
        {
            await socket.TypingAsync(room);
        }
        catch (Exception e) when (e is LimeSocketException or WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // Typing is best effort; the send right after it reports a dead socket.
        }
    }

    private async Task SendAsync(LoadMember member, LoadSender s, long scheduled, bool measured, LoadStep step)
    {
        try
        {
            var ack = await member.Socket.SendMessageAsync(s.Room.Id, s.NextClientMsgId(), MessageText.Create(scheduled, _options.MessageBytes));
            if (measured)
            {
                step.OnAck(s.Room, ack.Seq, scheduled, Stopwatch.GetTimestamp());
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

    private async Task WatchAsync(LoadMember m)
    {
        await m.ReceiveAsync(this);
        if (!_closing)
        {
            string code = m.Socket.CloseCode is { } close
                ? string.Create(CultureInfo.InvariantCulture, $"socket_closed_{close}")
                : "socket_dropped";
            _connectionErrors.Add(code);
        }
    }
}
