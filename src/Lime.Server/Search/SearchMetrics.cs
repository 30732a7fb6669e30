using System.Diagnostics.Metrics;

namespace Lime.Server.Search;

/// <summary>
/// Index lag on the meter <c>Lime.Search</c>: <c>lime.search.index.lag</c> (histogram, ms from the commit of a message,
/// edit or delete to its entry being applied) and <c>lime.search.indexed</c> (entries applied). The admin endpoint
/// GET /api/admin/search/stats adds what the store says (entries waiting, the oldest one's age) and recent lag
/// percentiles.
/// </summary>
public sealed class SearchMetrics : IDisposable
{
    public const string MeterName = "Lime.Search";

    private readonly Meter _meter;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _indexed;
    private readonly Lock _lock = new();
    private readonly double[] _recent = new double[4096];
    private long _count;

    public SearchMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _lag = _meter.CreateHistogram<double>("lime.search.index.lag", "ms", "Time from a message, edit or delete being committed to its index entry being applied.");
        _indexed = _meter.CreateCounter<long>("lime.search.indexed", "{entry}", "Search outbox entries applied to the index.");
    }

    public void Indexed(double lagMs)
    {
        _lag.Record(lagMs);
        _indexed.Add(1);
        lock (_lock)
        {
            _recent[_count++ % _recent.Length] = lagMs;
        }
    }

    /// <summary>Entries applied since start, and the p50/p99 lag of the most recent ones (up to 4,096).</summary>
    public (long Count, double P50, double P99) Recent()
    {
        double[] sample;
        long count;
        lock (_lock)
        {
            count = _count;
            sample = _recent.AsSpan(0, (int)Math.Min(count, _recent.Length)).ToArray();
        }

        if (sample.Length == 0)
        {
            return (count, 0, 0);
        }

        Array.Sort(sample);
        return (count, sample[(int)(0.50 * (sample.Length - 1))], sample[(int)(0.99 * (sample.Length - 1))]);
    }

    public void Dispose() => _meter.Dispose();
}
