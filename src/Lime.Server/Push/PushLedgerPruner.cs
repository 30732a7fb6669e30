using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>Deletes idempotency keys older than <see cref="PushOptions.LedgerRetentionHours"/>, hourly.</summary>
public sealed class PushLedgerPruner(IPushLedger ledger, IOptions<LimeOptions> options, TimeProvider time, ILogger<PushLedgerPruner> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int hours = options.Value.Push.LedgerRetentionHours;
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            do
            {
                try
                {
                    int pruned = await ledger.PruneAsync(time.GetUtcNow().AddHours(-hours).ToUnixTimeMilliseconds(), stoppingToken);
                    if (pruned > 0)
                    {
                        PushLog.LedgerPruned(log, pruned, hours);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    PushLog.LedgerPruneFailed(log, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }
}
