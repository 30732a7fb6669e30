using System.Diagnostics;
using HdrHistogram;

namespace Lime.Bench;

/// <summary>
/// Latencies in microseconds, recorded from any thread without locks (an HdrHistogram <see cref="Recorder"/>).
/// <see cref="Sample"/> — called by one monitor loop — moves what was recorded since the last call into the
/// run's total and keeps that interval's p99 for the progress line.
/// </summary>
internal sealed class LatencyRecorder
{
    /// <summary>Ten minutes: anything slower is clamped (and is a failed run anyway).</summary>
    private const long MaxMicros = 600_000_000;
    private static readonly long MaxTicks = Stopwatch.Frequency * (MaxMicros / 1_000_000);

    private readonly Recorder _recorder = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1)
        .WithValuesUpTo(MaxMicros)
        .WithPrecisionOf(3)
        .WithThreadSafeWrites()
        .WithThreadSafeReads()
        .Create();

    private readonly LongHistogram _total = new(1, MaxMicros, 3);
    private readonly Lock _gate = new();
    private HistogramBase? _interval;

    /// <summary>p99 of the values recorded between the last two <see cref="Sample"/> calls, in ms (0 if none).</summary>
    public double IntervalP99Ms { get; private set; }

    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _total.TotalCount;
            }
        }
    }

    /// <summary>Records the time between two <see cref="Stopwatch.GetTimestamp"/> values.</summary>
    public void Record(long stopwatchTicks)
    {
        long micros = stopwatchTicks <= 0 ? 1
            : stopwatchTicks >= MaxTicks ? MaxMicros
            : Math.Max(1, stopwatchTicks * 1_000_000 / Stopwatch.Frequency);
        _recorder.RecordValue(micros);
    }

    public void Sample()
    {
        lock (_gate)
        {
            _interval = _recorder.GetIntervalHistogram(_interval);
            _total.Add(_interval);
            IntervalP99Ms = _interval.TotalCount == 0 ? 0 : _interval.GetValueAtPercentile(99) / 1000.0;
        }
    }

    public LatencySummary Summarize()
    {
        Sample();
        lock (_gate)
        {
            return LatencySummary.From(_total);
        }
    }
}
