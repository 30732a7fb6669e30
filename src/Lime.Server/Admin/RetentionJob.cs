using Lime.Protocol;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Admin;

/// <summary>
/// Applies message TTLs (a room's own retention_days, else Lime:Retention:DefaultTtlDays; 0 keeps everything) every
/// Lime:Retention:IntervalSeconds: each room whose oldest kept event is older than its TTL gets <see cref="PurgeHistory"/>
/// batches (Lime:Retention:BatchSize events per commit) until what is older is gone, at most MaxBatchesPerPass over all
/// rooms per pass. Goes through the room writer, so every batch is a consistent state and members hear history_purged.
/// </summary>
public sealed class RetentionJob(AdminStore store, AdminService admin, IOptions<LimeOptions> options, TimeProvider time, ILogger<RetentionJob> log) : BackgroundService
{
    private const int RoomsPerRead = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.Retention.IntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken);
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                AdminLog.RetentionFailed(log, e);
            }
        }
    }

    /// <summary>One pass; returns the events removed.</summary>
    public async Task<long> RunOnceAsync(CancellationToken ct)
    {
        var retention = options.Value.Retention;
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        int budget = retention.MaxBatchesPerPass;
        long removed = 0;
        long after = 0;
        while (budget > 0)
        {
            var due = await store.RoomsDueForRetentionAsync(after, now, retention.DefaultTtlDays, RoomsPerRead, ct);
            foreach (var (roomId, cutoff, lastSeq) in due)
            {
                after = roomId;
                if (budget <= 0)
                {
                    break;
                }

                try
                {
                    var outcome = await admin.PurgeLoopAsync(new PurgeHistory(roomId, 0, lastSeq + 1, cutoff, retention.BatchSize), budget, ct);
                    budget -= Math.Max(1, outcome.Batches);
                    removed += outcome.RemovedEvents;
                    if (outcome.RemovedEvents > 0)
                    {
                        AdminLog.RetentionRemoved(log, roomId, outcome.RemovedEvents, outcome.RemovedMessages);
                    }
                }
                catch (Chat.LimeException e) when (e.Code is ErrorCodes.NotFound or ErrorCodes.Validation)
                {
                    // Deleted meanwhile, or its last seq moved under us: the next pass sees it as it is then.
                }
            }

            if (due.Count < RoomsPerRead)
            {
                break;
            }
        }

        return removed;
    }
}
