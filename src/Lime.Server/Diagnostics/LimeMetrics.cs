using System.Diagnostics;
using System.Diagnostics.Metrics;
using Lime.Protocol;
using Lime.Server.Chat;

namespace Lime.Server.Diagnostics;

/// <summary>
/// The server's numbers, as System.Diagnostics.Metrics instruments on the meter <c>Lime</c> (exported on /metrics in
/// Prometheus text by OpenTelemetry, docs/operations.md lists every name). The hot path stays cheap: counts are plain
/// <see cref="Interlocked"/> adds on fields of this object, reported by observable instruments when a collector asks
/// (so every counter exists from start, at 0, and none allocates or looks up tags per message); durations go to
/// histograms with no tags. Counters are per node since start; Prometheus' <c>rate()</c> makes them rates.
/// </summary>
public sealed class LimeMetrics : IDisposable
{
    public const string MeterName = "Lime";

    /// <summary>Buckets for latencies in seconds: 0.25 ms to 10 s (the OpenTelemetry default buckets are for milliseconds).</summary>
    private static readonly double[] SecondsBuckets = [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Buckets for writes per commit (Lime:Storage:MaxBatch is 512 by default, at most 10,000).</summary>
    private static readonly long[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 10_000];

    private static readonly KeyValuePair<string, object?>[][] SendResultTags = Tags("result", Enum.GetNames<SendResult>());
    private static readonly KeyValuePair<string, object?>[][] CommitResultTags = Tags("result", Enum.GetNames<CommitResult>());
    private static readonly KeyValuePair<string, object?>[] Online = [new("state", "online")];
    private static readonly KeyValuePair<string, object?>[] Offline = [new("state", "offline")];

    private readonly Meter _meter;
    private readonly Histogram<double> _ackLatency;
    private readonly Histogram<long> _commitBatch;
    private readonly Histogram<double> _commitLatency;
    private readonly Histogram<double> _syncLatency;

    private long _connections, _connectionsOpened, _slowConsumerCloses, _framesReceived, _framesSent, _socketWrites;
    private long _fanoutEvents, _fanoutCopies, _presenceOnline, _presenceOffline;
    private readonly long[] _sends = new long[SendResultTags.Length];
    private readonly long[] _commits = new long[CommitResultTags.Length];

    // Set once by their owners at start; read when a collector asks.
    private Func<long>? _fanoutQueueDepth;
    private int _storageUp = -1, _redisUp = -1, _syncStandbys = -1;

    public LimeMetrics(IMeterFactory meters)
        : this(meters.Create(MeterName))
    {
    }

    /// <summary>On a meter of its own, outside any host (unit tests, micro-benchmarks).</summary>
    public LimeMetrics()
        : this(new Meter(MeterName))
    {
    }

    private LimeMetrics(Meter meter)
    {
        _meter = meter;
        _meter.CreateObservableUpDownCounter("lime.connections", () => Volatile.Read(ref _connections), "{connection}", "Open WebSocket connections on this node.");
        _meter.CreateObservableCounter("lime.connections.opened", () => Volatile.Read(ref _connectionsOpened), "{connection}", "WebSocket connections accepted.");
        _meter.CreateObservableCounter("lime.connections.slow_consumer_closes", () => Volatile.Read(ref _slowConsumerCloses), "{connection}",
            "Connections closed with 4008 because their send queue was full (frames or bytes).");
        _meter.CreateObservableCounter("lime.frames.received", () => Volatile.Read(ref _framesReceived), "{frame}", "Frames (WebSocket messages) read from clients.");
        _meter.CreateObservableCounter("lime.frames.sent", () => Volatile.Read(ref _framesSent), "{frame}", "Frames written to clients (several may share one WebSocket message).");
        _meter.CreateObservableCounter("lime.socket.writes", () => Volatile.Read(ref _socketWrites), "{message}", "WebSocket messages written to clients (coalesced frames).");
        _meter.CreateObservableCounter("lime.sends", () => Counts(_sends, SendResultTags), "{message}",
            "Message sends (REST and socket) by result: ok, duplicate (a retry answered with the first ack), rejected (validation, authorization), rate_limited, unavailable (not confirmed), failed.");
        _ackLatency = _meter.CreateHistogram("lime.send.ack.duration", "s", "From a send reaching the server to its ack (durable commit), acks only.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _meter.CreateObservableCounter("lime.commits", () => Counts(_commits, CommitResultTags), "{commit}",
            "Room writer transactions by result: ok, not_confirmed (a synchronous standby did not confirm), failed.");
        _commitBatch = _meter.CreateHistogram<long>("lime.commit.batch.size", "{write}", "Writes folded into one durable commit (group commit).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchBuckets });
        _commitLatency = _meter.CreateHistogram("lime.commit.duration", "s", "One group commit: from its transaction's start to the backend confirming it durable.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _meter.CreateObservableCounter("lime.fanout.events", () => Volatile.Read(ref _fanoutEvents), "{event}", "Committed events handed to this node's connections.");
        _meter.CreateObservableCounter("lime.fanout.copies", () => Volatile.Read(ref _fanoutCopies), "{frame}", "Event and signal frames queued to local connections (one per connection reached).");
        _meter.CreateObservableGauge("lime.fanout.queue.depth", () => _fanoutQueueDepth?.Invoke() ?? 0, "{item}", "Batches and signals waiting for this node's fanout dispatcher.");
        _syncLatency = _meter.CreateHistogram("lime.sync.duration", "s", "One sync (catch-up) request, REST or socket.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _meter.CreateObservableCounter("lime.presence.transitions", PresenceCounts, "{transition}", "Users going online or offline (tag state), as seen by this node.");
        _meter.CreateObservableGauge("lime.storage.up", () => Health(_storageUp), "1", "1 if the last probe of the message store succeeded, else 0 (probed every few seconds).");
        _meter.CreateObservableGauge("lime.redis.up", () => Health(_redisUp), "1", "1 if Redis answered the last probe, else 0 (only with the redis fanout).");
        _meter.CreateObservableGauge("lime.postgres.sync_standbys", () => Health(_syncStandbys), "{standby}",
            "Synchronous standbys streaming from the primary (pg_stat_replication sync or quorum; only with PostgreSQL; the role needs pg_monitor to see them).");
    }

    public void ConnectionOpened()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _connectionsOpened);
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    public void SlowConsumerClosed() => Interlocked.Increment(ref _slowConsumerCloses);

    public void FrameReceived() => Interlocked.Increment(ref _framesReceived);

    /// <summary>One WebSocket message of <paramref name="frames"/> coalesced frames was written.</summary>
    public void FramesSent(int frames)
    {
        Interlocked.Add(ref _framesSent, frames);
        Interlocked.Increment(ref _socketWrites);
    }

    /// <summary>A send ended; <paramref name="startedAt"/> is its <see cref="Stopwatch.GetTimestamp"/> on arrival.</summary>
    public void Sent(SendResult result, long startedAt)
    {
        Interlocked.Increment(ref _sends[(int)result]);
        if (result is SendResult.Ok or SendResult.Duplicate)
        {
            _ackLatency.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
        }
    }

    /// <summary>The result of a send refused with <paramref name="e"/>.</summary>
    public static SendResult ResultOf(LimeException e) => e.Code switch
    {
        ErrorCodes.RateLimited => SendResult.RateLimited,
        ErrorCodes.Unavailable => SendResult.Unavailable,
        ErrorCodes.Internal => SendResult.Failed,
        _ => SendResult.Rejected,
    };

    public void Committed(CommitResult result, int writes, long startedAt)
    {
        Interlocked.Increment(ref _commits[(int)result]);
        if (result == CommitResult.Ok)
        {
            _commitBatch.Record(writes);
            _commitLatency.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds);
        }
    }

    public void FanoutDelivered(int copies)
    {
        Interlocked.Increment(ref _fanoutEvents);
        Interlocked.Add(ref _fanoutCopies, copies);
    }

    public void SignalDelivered(int copies) => Interlocked.Add(ref _fanoutCopies, copies);

    public void ObserveFanoutQueue(Func<long> depth) => _fanoutQueueDepth = depth;

    public void Synced(long startedAt) => _syncLatency.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds);

    public void PresenceChanged(bool online) => Interlocked.Increment(ref online ? ref _presenceOnline : ref _presenceOffline);

    public void StorageProbed(bool up) => Volatile.Write(ref _storageUp, up ? 1 : 0);

    public void RedisProbed(bool up) => Volatile.Write(ref _redisUp, up ? 1 : 0);

    /// <summary>Streaming synchronous standbys, or -1 when they cannot be seen.</summary>
    public void SyncStandbysProbed(int count) => Volatile.Write(ref _syncStandbys, count);

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> PresenceCounts() =>
    [
        new(Volatile.Read(ref _presenceOnline), Online),
        new(Volatile.Read(ref _presenceOffline), Offline),
    ];

    /// <summary>A gauge not yet probed (or not applicable to this configuration) reports nothing.</summary>
    private static IEnumerable<Measurement<int>> Health(int value) => value < 0 ? [] : [new Measurement<int>(value)];

    private static Measurement<long>[] Counts(long[] counts, KeyValuePair<string, object?>[][] tags)
    {
        var measurements = new Measurement<long>[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            measurements[i] = new Measurement<long>(Volatile.Read(ref counts[i]), tags[i]);
        }

        return measurements;
    }

    private static KeyValuePair<string, object?>[][] Tags(string key, string[] names) =>
        [.. names.Select(n => new KeyValuePair<string, object?>[] { new(key, System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(n)) })];
}

/// <summary>How a message send ended (the <c>result</c> tag of <c>lime.sends</c>).</summary>
public enum SendResult
{
    Ok,
    Duplicate,
    Rejected,
    RateLimited,
    Unavailable,
    Failed,
}

/// <summary>How a room writer transaction ended (the <c>result</c> tag of <c>lime.commits</c>).</summary>
public enum CommitResult
{
    Ok,
    NotConfirmed,
    Failed,
}
