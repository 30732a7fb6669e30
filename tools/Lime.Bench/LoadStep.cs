using System.Diagnostics;

namespace Lime.Bench;

/// <summary>
/// One run of the room load at one offered rate (a dm or group run, a sweep step): its time window and everything
/// measured in it. A message belongs to the step when its scheduled time is in [MeasureStart, ScheduleEnd). A "copy"
/// is one member's receipt of one message; the sender's own copy counts for correctness but not as a delivery or for
/// latency.
/// </summary>
internal sealed class LoadStep
{
    private readonly List<long>[] _ackedSeqs;
    private long _sent;
    private long _acked;
    private long _ackedInWindow;
    private long _failed;
    private long _delivered;
    private long _deliveredInWindow;
    private long _uniqueCopies;
    private long _expectedCopies;
    private long _duplicates;
    private long _outOfOrder;
    private long _readsSent;
    private long _readsDone;
    private long _typingSent;
    private volatile bool _finished;

    public LoadStep(string scenario, double offeredRate, double offeredDeliveries, long start, long measureStart, long scheduleEnd, int rooms)
    {
        Scenario = scenario;
        OfferedRate = offeredRate;
        OfferedDeliveries = offeredDeliveries;
        Start = start;
        MeasureStart = measureStart;
        ScheduleEnd = scheduleEnd;
        _ackedSeqs = new List<long>[rooms];
        for (int i = 0; i < rooms; i++)
        {
            _ackedSeqs[i] = [];
        }

        foreach (var kind in Enum.GetValues<RoomKind>())
        {
            DeliverByKind[(int)kind] = new LatencyRecorder();
        }
    }

    public string Scenario { get; }
    public double OfferedRate { get; }
    public double OfferedDeliveries { get; }
    public long Start { get; }
    public long MeasureStart { get; }
    public long ScheduleEnd { get; }
    public double DurationSeconds => (ScheduleEnd - MeasureStart) / (double)Stopwatch.Frequency;

    public LatencyRecorder Ack { get; } = new();

    /// <summary>Send → deliver per copy (other members only).</summary>
    public LatencyRecorder Deliver { get; } = new();

    /// <summary>The same, split by room kind (indexed by <see cref="RoomKind"/>).</summary>
    public LatencyRecorder[] DeliverByKind { get; } = new LatencyRecorder[Enum.GetValues<RoomKind>().Length];

    public LatencyRecorder Lag { get; } = new();

    /// <summary>read request → its reply (mixed).</summary>
    public LatencyRecorder Read { get; } = new();

    public ErrorTally Errors { get; } = new();

    public long Sent => Interlocked.Read(ref _sent);
    public long Acked => Interlocked.Read(ref _acked);
    public long Delivered => Interlocked.Read(ref _delivered);
    public long UniqueCopies => Interlocked.Read(ref _uniqueCopies);
    public long ExpectedCopies => Interlocked.Read(ref _expectedCopies);

    public long Progress => Acked + UniqueCopies + Interlocked.Read(ref _duplicates) + Interlocked.Read(ref _failed) + Interlocked.Read(ref _readsDone);

    public bool IsMeasured(long scheduled) => scheduled >= MeasureStart && scheduled < ScheduleEnd;

    public void OnSent(long lagTicks)
    {
        Interlocked.Increment(ref _sent);
        Lag.Record(lagTicks);
    }

    public void OnAck(LoadRoom room, long seq, long scheduled, long arrived)
    {
        if (_finished)
        {
            return;
        }

        Ack.Record(arrived - scheduled);
        var list = _ackedSeqs[room.Index];
        lock (list)
        {
            list.Add(seq);
        }

        Interlocked.Add(ref _expectedCopies, room.Members.Length);
        Interlocked.Increment(ref _acked);
        if (arrived <= ScheduleEnd)
        {
            Interlocked.Increment(ref _ackedInWindow);
        }
    }

    public void OnFailed(string code)
    {
        if (_finished)
        {
            return;
        }

        Interlocked.Increment(ref _failed);
        Errors.Add(code);
    }

    public void OnDelivered(RoomKind kind, long latencyTicks, long arrived, bool own, bool duplicate, bool outOfOrder)
    {
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        Interlocked.Increment(ref _uniqueCopies);
        if (outOfOrder)
        {
            Interlocked.Increment(ref _outOfOrder);
        }

        if (own)
        {
            return;
        }

        Deliver.Record(latencyTicks);
        DeliverByKind[(int)kind].Record(latencyTicks);
        Interlocked.Increment(ref _delivered);
        if (arrived <= ScheduleEnd)
        {
            Interlocked.Increment(ref _deliveredInWindow);
        }
    }

    public void OnReadSent() => Interlocked.Increment(ref _readsSent);

    public void OnReadDone(long latencyTicks, string? error)
    {
        Interlocked.Increment(ref _readsDone);
        if (error is null)
        {
            Read.Record(latencyTicks);
        }
        else if (!_finished)
        {
            Errors.Add("read_" + error);
        }
    }

    public void OnTypingSent() => Interlocked.Increment(ref _typingSent);

    public void Sample()
    {
        Ack.Sample();
        Deliver.Sample();
        Lag.Sample();
    }

    /// <summary>Copies of acked messages some member has not received (yet): exact, O(acked × members).</summary>
    public long CountUndelivered(IReadOnlyList<LoadRoom> rooms, IReadOnlyList<LoadMember> members)
    {
        long missing = 0;
        foreach (var room in rooms)
        {
            var list = _ackedSeqs[room.Index];
            lock (list)
            {
                foreach (long seq in list)
                {
                    foreach (int m in room.Members)
                    {
                        if (members[m].DeliveryCount(room.Id, seq) == 0)
                        {
                            missing++;
                        }
                    }
                }
            }
        }

        return missing;
    }

    /// <summary>Final numbers once the drain is over; sends with neither ack nor error are counted as <see cref="ErrorTally.NoAck"/>.</summary>
    public LoadResult Finish(IReadOnlyList<LoadRoom> rooms, IReadOnlyList<LoadMember> members, CpuFigures cpu)
    {
        _finished = true;
        long lost = CountUndelivered(rooms, members);
        long unanswered = Sent - Acked - Interlocked.Read(ref _failed);
        if (unanswered > 0)
        {
            Errors.Add(ErrorTally.NoAck, unanswered);
        }

        var kinds = new SortedDictionary<string, LatencySummary>(StringComparer.Ordinal);
        foreach (var kind in rooms.Select(r => r.Kind).Distinct())
        {
            kinds[kind.ToString().ToLowerInvariant()] = DeliverByKind[(int)kind].Summarize();
        }

        double seconds = DurationSeconds;
        return new LoadResult(
            Scenario,
            OfferedRate,
            Interlocked.Read(ref _ackedInWindow) / seconds,
            OfferedDeliveries,
            Interlocked.Read(ref _deliveredInWindow) / seconds,
            seconds,
            Sent,
            Acked,
            Delivered,
            lost,
            Interlocked.Read(ref _duplicates),
            Interlocked.Read(ref _outOfOrder),
            Errors.Snapshot(),
            Ack.Summarize(),
            Deliver.Summarize(),
            kinds,
            Lag.Summarize(),
            Interlocked.Read(ref _readsSent),
            Read.Summarize(),
            Interlocked.Read(ref _typingSent),
            cpu);
    }
}
