using System.Diagnostics;

namespace Lime.Bench;

/// <summary>
/// One dm run at one offered rate: its time window and everything measured in it. A message belongs to the step
/// when its scheduled time is in [MeasureStart, ScheduleEnd); warm-up messages are sent but not counted.
/// </summary>
internal sealed class DmStep
{
    private readonly List<long>[] _ackedSeqs;
    private long _sent;
    private long _acked;
    private long _ackedInWindow;
    private long _failed;
    private long _delivered;
    private long _duplicates;
    private long _outOfOrder;
    private volatile bool _finished;

    public DmStep(string scenario, double offeredRate, long start, long measureStart, long scheduleEnd, int members)
    {
        Scenario = scenario;
        OfferedRate = offeredRate;
        Start = start;
        MeasureStart = measureStart;
        ScheduleEnd = scheduleEnd;
        _ackedSeqs = new List<long>[members];
        for (int i = 0; i < members; i++)
        {
            _ackedSeqs[i] = [];
        }
    }

    public string Scenario { get; }
    public double OfferedRate { get; }
    public long Start { get; }
    public long MeasureStart { get; }
    public long ScheduleEnd { get; }
    public double DurationSeconds => (ScheduleEnd - MeasureStart) / (double)Stopwatch.Frequency;

    /// <summary>Send → ack: ack arrival minus scheduled time.</summary>
    public LatencyRecorder Ack { get; } = new();

    /// <summary>Send → deliver: event arrival at the peer minus scheduled time.</summary>
    public LatencyRecorder Deliver { get; } = new();

    /// <summary>Issue lag: when the generator actually wrote the send minus its scheduled time (generator health).</summary>
    public LatencyRecorder Lag { get; } = new();

    public ErrorTally Errors { get; } = new();

    public long Sent => Interlocked.Read(ref _sent);
    public long Acked => Interlocked.Read(ref _acked);
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Acks, deliveries, duplicates and failures so far: the drain watches it for progress.</summary>
    public long Progress => Acked + Delivered + Interlocked.Read(ref _duplicates) + Interlocked.Read(ref _failed);

    public bool IsMeasured(long scheduled) => scheduled >= MeasureStart && scheduled < ScheduleEnd;

    public void OnSent(long lagTicks)
    {
        Interlocked.Increment(ref _sent);
        Lag.Record(lagTicks);
    }

    public void OnAck(int member, long seq, long scheduled, long arrived)
    {
        if (_finished)
        {
            return; // after the drain: unanswered, counted as no_ack
        }

        Ack.Record(arrived - scheduled);
        var list = _ackedSeqs[member];
        lock (list)
        {
            list.Add(seq);
        }

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

    public void OnDelivered(long latencyTicks, bool duplicate, bool outOfOrder)
    {
        if (duplicate)
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        Deliver.Record(latencyTicks);
        Interlocked.Increment(ref _delivered);
        if (outOfOrder)
        {
            Interlocked.Increment(ref _outOfOrder);
        }
    }

    public void Sample()
    {
        Ack.Sample();
        Deliver.Sample();
        Lag.Sample();
    }

    /// <summary>Acked messages the peer has not received (yet): exact, O(acked), cheap enough to poll while draining.</summary>
    public long CountUndelivered(IReadOnlyList<DmMember> members)
    {
        long missing = 0;
        foreach (var m in members)
        {
            var list = _ackedSeqs[m.Index];
            lock (list)
            {
                foreach (long seq in list)
                {
                    if (m.Peer.DeliveryCount(seq) == 0)
                    {
                        missing++;
                    }
                }
            }
        }

        return missing;
    }

    /// <summary>
    /// Final numbers once the drain is over: lost = acked by the sender but never seen by the peer; sends with
    /// neither ack nor error by now are counted as <see cref="ErrorTally.NoAck"/>. Later acks are ignored.
    /// </summary>
    public DmResult Finish(IReadOnlyList<DmMember> members, double generatorCpuPercent)
    {
        _finished = true;
        long lost = CountUndelivered(members);
        long unanswered = Sent - Acked - Interlocked.Read(ref _failed);
        if (unanswered > 0)
        {
            Errors.Add(ErrorTally.NoAck, unanswered);
        }

        double seconds = DurationSeconds;
        return new DmResult(
            Scenario,
            OfferedRate,
            Interlocked.Read(ref _ackedInWindow) / seconds,
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
            Lag.Summarize(),
            generatorCpuPercent);
    }
}
