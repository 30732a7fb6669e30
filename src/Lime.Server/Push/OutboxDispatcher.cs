using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>
/// Drains the outbox: <see cref="PushOptions.Workers"/> loops per node each claim a batch under a lease, hand it to
/// the handlers of its topics, and record each entry's outcome — done (deleted), retry after an exponential backoff,
/// or dead letter once <see cref="PushOptions.MaxAttempts"/> claims are used up. Processing is at least once: a node
/// that dies keeps its claims until their lease ends (or until it restarts: a node releases its own old claims at
/// start), then another claimer gets them; the handlers' idempotency keys make that redelivery harmless.
/// Several nodes may dispatch from one database at once; claims never overlap while a lease lasts.
/// </summary>
public sealed class OutboxDispatcher : BackgroundService
{
    private readonly IOutboxStore _store;
    private readonly Dictionary<string, IOutboxHandler> _handlers = new(StringComparer.Ordinal);
    private readonly PushOptions _options;
    private readonly PushMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxDispatcher> _log;
    private readonly string _nodePrefix;
    private long _statsReadAt;

    public OutboxDispatcher(
        IOutboxStore store,
        IEnumerable<IOutboxHandler> handlers,
        IOptions<LimeOptions> options,
        PushMetrics metrics,
        TimeProvider time,
        ILogger<OutboxDispatcher> log)
    {
        _store = store;
        foreach (var handler in handlers)
        {
            foreach (string topic in handler.Topics)
            {
                _handlers.Add(topic, handler); // one handler per topic: a second would need its own ledger of progress
            }
        }

        _options = options.Value.Push;
        _metrics = metrics;
        _time = time;
        _log = log;
        // node id + boot id: unique per process; the node part lets a restarted node take back its own claims at once.
        _nodePrefix = options.Value.NodeId.ToString(CultureInfo.InvariantCulture) + ":";
        Claimer = _nodePrefix + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
    }

    /// <summary>This process's claimer id (node:boot).</summary>
    public string Claimer { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            int released = await _store.ReleaseAsync(_nodePrefix, Now(), stoppingToken);
            if (released > 0)
            {
                PushLog.ReleasedOwnClaims(_log, released);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            PushLog.ClaimFailed(_log, e);
        }

        if (!_handlers.Values.Any(h => h.Active))
        {
            // Nothing consumes the outbox (push off): keep it from growing with one bulk delete a second, no claims.
            PushLog.DispatcherStarted(_log, Claimer, 0, "off", "drain only");
            await DrainAsync(stoppingToken);
            return;
        }

        PushLog.DispatcherStarted(_log, Claimer, _options.Workers, _options.Enabled ? "on" : "off", string.Join(',', _handlers.Keys));
        var workers = Enumerable.Range(0, _options.Workers).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None)).ToArray();
        await Task.WhenAll(workers);
    }

    private async Task DrainAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                long now = Now();
                await RefreshStatsAsync(now, stop);
                _metrics.Drained(await _store.DropDueAsync(now, stop));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                PushLog.ClaimFailed(_log, e);
            }

            await DelayAsync(TimeSpan.FromSeconds(1), stop);
        }
    }

    private async Task WorkAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            IReadOnlyList<OutboxEntry> batch;
            try
            {
                long now = Now();
                await RefreshStatsAsync(now, stop);
                batch = await _store.ClaimAsync(Claimer, now, now + _options.LeaseSeconds * 1000L, _options.BatchSize, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                PushLog.ClaimFailed(_log, e);
                await DelayAsync(TimeSpan.FromSeconds(1), stop);
                continue;
            }

            if (batch.Count == 0)
            {
                await DelayAsync(TimeSpan.FromMilliseconds(_options.PollIntervalMs), stop);
                continue;
            }

            _metrics.Claimed(batch.Count);
            var finishings = await HandleAsync(batch, stop);
            await FinishAsync(batch, finishings);
        }
    }

    private async Task<OutboxFinishing[]> HandleAsync(IReadOnlyList<OutboxEntry> batch, CancellationToken stop)
    {
        var finishings = new OutboxFinishing[batch.Count];
        foreach (var group in batch.Select((e, i) => (Entry: e, Index: i)).GroupBy(x => x.Entry.Topic, StringComparer.Ordinal))
        {
            var items = group.ToList();
            if (!_handlers.TryGetValue(group.Key, out var handler))
            {
                foreach (var (entry, index) in items)
                {
                    PushLog.UnhandledTopic(_log, entry.Id, entry.Topic);
                    finishings[index] = new OutboxFinishing(entry.Id, OutboxFinish.Done);
                }

                continue;
            }

            OutboxOutcome[] outcomes;
            try
            {
                outcomes = await handler.HandleAsync(items.Select(x => x.Entry).ToList(), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Shutting down: hand the unfinished entries back at once. Sends already made are in the ledger.
                foreach (var (entry, index) in items)
                {
                    finishings[index] = new OutboxFinishing(entry.Id, OutboxFinish.Release);
                }

                continue;
            }
            catch (Exception e)
            {
                PushLog.HandlerFailed(_log, items.Count, e);
                outcomes = items.Select(_ => OutboxOutcome.Retry(e.GetType().Name + ": " + e.Message)).ToArray();
            }

            for (int i = 0; i < items.Count; i++)
            {
                finishings[items[i].Index] = Decide(items[i].Entry, outcomes[i]);
            }
        }

        return finishings;
    }

    /// <summary>Turns a handler's outcome into what happens to the entry: the retry schedule and the dead-letter rule live here.</summary>
    private OutboxFinishing Decide(OutboxEntry entry, OutboxOutcome outcome)
    {
        switch (outcome.Kind)
        {
            case OutboxOutcomeKind.Done:
                return new OutboxFinishing(entry.Id, OutboxFinish.Done);
            case OutboxOutcomeKind.Retry when entry.Attempts < _options.MaxAttempts:
                long delay = (long)Backoff(entry.Attempts, outcome.RetryAfter).TotalMilliseconds;
                return new OutboxFinishing(entry.Id, OutboxFinish.Retry, Now() + delay, outcome.Error);
            default:
                PushLog.DeadLettered(_log, entry.Id, entry.Topic, entry.Attempts, outcome.Error ?? "failed");
                return new OutboxFinishing(entry.Id, OutboxFinish.Dead, Error: outcome.Error ?? "failed");
        }
    }

    /// <summary>Base·2^(attempt-1) with ±20 % jitter (so entries failed together do not retry together), capped; a longer Retry-After wins.</summary>
    internal TimeSpan Backoff(long attempt, TimeSpan? retryAfter)
    {
        double exponential = _options.BackoffBaseMs * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        double jittered = exponential * (0.8 + 0.4 * Random.Shared.NextDouble());
        double ms = Math.Min(jittered, _options.MaxBackoffMs);
        if (retryAfter is { } after)
        {
            ms = Math.Max(ms, Math.Min(after.TotalMilliseconds, _options.MaxBackoffMs));
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    private async Task FinishAsync(IReadOnlyList<OutboxEntry> batch, OutboxFinishing[] finishings)
    {
        // Not cancellable: recording what was done is what keeps a redelivery small. If it fails, the lease runs out
        // and the entries come back; the ledger keeps that from pushing twice.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                long now = Now();
                await _store.FinishAsync(Claimer, finishings, now, CancellationToken.None);
                for (int i = 0; i < batch.Count; i++)
                {
                    _metrics.Finished(finishings[i].How, batch[i].Topic, Math.Max(0, now - batch[i].DueAt));
                }

                return;
            }
            catch (Exception e) when (attempt < 3)
            {
                PushLog.FinishFailed(_log, batch.Count, e);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), _time);
            }
            catch (Exception e)
            {
                PushLog.FinishFailed(_log, batch.Count, e);
                return;
            }
        }
    }

    private async Task RefreshStatsAsync(long now, CancellationToken ct)
    {
        long last = Interlocked.Read(ref _statsReadAt);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _statsReadAt, now, last) != last)
        {
            return;
        }

        _metrics.Stored(await _store.StatsAsync(ct));
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, _time, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
