using System.Diagnostics.Metrics;
using Lime.Protocol;

namespace Lime.Server.Push;

/// <summary>
/// The pipeline's numbers, as System.Diagnostics.Metrics instruments on the meter <c>Lime.Push</c> (for any
/// OpenTelemetry/dotnet-counters listener) and as totals for the JSON admin endpoint (GET /api/admin/push/stats).
/// Counters are per node since start. The store-read gauges (pending, oldest due, dead letters) are refreshed by
/// the dispatcher about once a second.
/// </summary>
public sealed class PushMetrics : IDisposable
{
    public const string MeterName = "Lime.Push";

    private readonly Meter _meter;
    private readonly Counter<long> _processed;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _notifications;
    private readonly Counter<long> _collapsed;
    private readonly Counter<long> _suppressed;
    private readonly Counter<long> _tokensRemoved;
    private readonly Lock _lock = new();
    private readonly double[] _recentLag = new double[8192];
    private long _lagCount;
    private long _processedTotal, _attemptsTotal, _retriesTotal, _deadTotal, _sentTotal, _collapsedTotal, _suppressedTotal, _removedTotal, _failuresTotal;
    private OutboxStats _stored = new(0, null, 0);
    private long _storedAt;

    public PushMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _processed = _meter.CreateCounter<long>("lime.push.outbox.processed", "{entry}", "Outbox entries finished (tag outcome: done, retry, dead).");
        _attempts = _meter.CreateCounter<long>("lime.push.outbox.attempts", "{attempt}", "Outbox entries claimed for handling (each attempt).");
        _retries = _meter.CreateCounter<long>("lime.push.outbox.retries", "{entry}", "Outbox entries scheduled for another attempt.");
        _deadLettered = _meter.CreateCounter<long>("lime.push.outbox.dead_lettered", "{entry}", "Outbox entries moved to the dead letters.");
        _lag = _meter.CreateHistogram<double>("lime.push.outbox.lag", "ms", "Time from an entry becoming due to its handling finishing (tag topic: the handler's, push or search).");
        _notifications = _meter.CreateCounter<long>("lime.push.notifications", "{notification}", "Provider requests (tags provider, result: sent, token_invalid, retry, rejected).");
        _collapsed = _meter.CreateCounter<long>("lime.push.collapsed", "{notification}", "Notifications folded into a digest by the collapse window.");
        _suppressed = _meter.CreateCounter<long>("lime.push.suppressed", "{notification}", "Recipients skipped: connected, quiet hours, mentions only.");
        _tokensRemoved = _meter.CreateCounter<long>("lime.push.tokens_removed", "{target}", "Push targets removed because the provider reported them invalid.");
        _meter.CreateObservableGauge("lime.push.outbox.pending", () => Volatile.Read(ref _stored).Pending, "{entry}", "Entries in the outbox.");
        _meter.CreateObservableGauge("lime.push.outbox.oldest_due_age", OldestDueAgeMs, "ms", "Age of the oldest due entry (0 if none is due).");
        _meter.CreateObservableGauge("lime.push.outbox.dead_letters", () => Volatile.Read(ref _stored).DeadLetters, "{entry}", "Entries in the dead letters.");
    }

    public void Claimed(int count)
    {
        _attempts.Add(count);
        Interlocked.Add(ref _attemptsTotal, count);
    }

    public void Finished(OutboxFinish how, string topic, double lagMs)
    {
        string outcome = how switch { OutboxFinish.Done => "done", OutboxFinish.Retry => "retry", OutboxFinish.Dead => "dead", _ => "released" };
        _processed.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("topic", topic));
        switch (how)
        {
            case OutboxFinish.Done:
                Interlocked.Increment(ref _processedTotal);
                RecordLag(lagMs, topic);
                break;
            case OutboxFinish.Retry:
                _retries.Add(1);
                Interlocked.Increment(ref _retriesTotal);
                break;
            case OutboxFinish.Dead:
                _deadLettered.Add(1);
                Interlocked.Increment(ref _deadTotal);
                RecordLag(lagMs, topic);
                break;
        }
    }

    /// <summary>Entries deleted unprocessed because nothing consumes them (push off).</summary>
    public void Drained(int count)
    {
        _processed.Add(count, new KeyValuePair<string, object?>("outcome", "drained"));
        Interlocked.Add(ref _processedTotal, count);
    }

    public void Notification(string provider, PushStatus status)
    {
        string result = status switch
        {
            PushStatus.Delivered => "sent",
            PushStatus.TokenInvalid => "token_invalid",
            PushStatus.Retry => "retry",
            _ => "rejected",
        };
        _notifications.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("result", result));
        switch (status)
        {
            case PushStatus.Delivered:
                Interlocked.Increment(ref _sentTotal);
                break;
            case PushStatus.TokenInvalid:
                _tokensRemoved.Add(1);
                Interlocked.Increment(ref _removedTotal);
                break;
            default:
                Interlocked.Increment(ref _failuresTotal);
                break;
        }
    }

    public void Collapsed(int count)
    {
        _collapsed.Add(count);
        Interlocked.Add(ref _collapsedTotal, count);
    }

    public void Suppressed(int count)
    {
        _suppressed.Add(count);
        Interlocked.Add(ref _suppressedTotal, count);
    }

    public void Stored(OutboxStats stats)
    {
        Volatile.Write(ref _stored, stats);
        Volatile.Write(ref _storedAt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    /// <summary>The totals and recent lag percentiles, with fresh store numbers.</summary>
    public PushStatsResponse Snapshot(OutboxStats stored, long now)
    {
        double[] lag;
        lock (_lock)
        {
            int n = (int)Math.Min(_lagCount, _recentLag.Length);
            lag = _recentLag[..n];
        }

        Array.Sort(lag);
        long oldestAge = stored.OldestDueAt is { } due && due <= now ? now - due : 0;
        return new PushStatsResponse(
            stored.Pending, oldestAge, stored.DeadLetters,
            Interlocked.Read(ref _processedTotal), Interlocked.Read(ref _attemptsTotal), Interlocked.Read(ref _retriesTotal),
            Interlocked.Read(ref _deadTotal), Interlocked.Read(ref _sentTotal), Interlocked.Read(ref _collapsedTotal),
            Interlocked.Read(ref _suppressedTotal), Interlocked.Read(ref _removedTotal), Interlocked.Read(ref _failuresTotal),
            new LagSummaryDto(lag.Length, Percentile(lag, 0.50), Percentile(lag, 0.90), Percentile(lag, 0.99), lag.Length == 0 ? 0 : lag[^1]));
    }

    public void Dispose() => _meter.Dispose();

    private void RecordLag(double ms, string topic)
    {
        _lag.Record(ms, new KeyValuePair<string, object?>("topic", topic));
        lock (_lock)
        {
            _recentLag[_lagCount % _recentLag.Length] = ms;
            _lagCount++;
        }
    }

    private long OldestDueAgeMs()
    {
        var stored = Volatile.Read(ref _stored);
        long at = Volatile.Read(ref _storedAt);
        return stored.OldestDueAt is { } due && due <= at ? at - due : 0;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
