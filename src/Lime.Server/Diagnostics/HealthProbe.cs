using Lime.Server.Redis;
using Lime.Server.Storage;
using Lime.Server.Storage.Postgres;
using Microsoft.Extensions.Options;

namespace Lime.Server.Diagnostics;

/// <summary>
/// Probes the backends every <see cref="Interval"/> for the health gauges of <see cref="LimeMetrics"/> (a scrape only
/// reads the last result, it never waits on a database): the message store answers a ping; with PostgreSQL, how many
/// synchronous standbys stream from the primary; with the redis fanout, whether Redis answers a PING. Each probe is
/// bounded by <see cref="Timeout"/>, so a hung backend shows as down instead of keeping the last good value.
/// </summary>
public sealed class HealthProbe(IRoomStore store, IServiceProvider services, LimeMetrics metrics, IOptions<LimeOptions> options) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool postgres = options.Value.Storage.Provider == StorageProvider.Postgres;
        bool redis = options.Value.Fanout.Provider == FanoutProvider.Redis;
        using var timer = new PeriodicTimer(Interval);
        do
        {
            metrics.StorageProbed(await ProbeAsync(ct => new ValueTask(store.PingAsync(ct)), stoppingToken));
            if (postgres)
            {
                metrics.SyncStandbysProbed(await SyncStandbysAsync(stoppingToken));
            }

            if (redis)
            {
                metrics.RedisProbed(await ProbeAsync(async _ => await services.GetRequiredService<RedisConnection>().Database.PingAsync(), stoppingToken));
            }
        }
        while (await Tick(timer, stoppingToken));
    }

    private static async ValueTask<bool> Tick(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> ProbeAsync(Func<CancellationToken, ValueTask> probe, CancellationToken stopping)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        bounded.CancelAfter(Timeout);
        try
        {
            await probe(bounded.Token).AsTask().WaitAsync(bounded.Token);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Synchronous standbys streaming now; -1 if that cannot be read (no pg_monitor role, or the primary is down).</summary>
    private async Task<int> SyncStandbysAsync(CancellationToken stopping)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        bounded.CancelAfter(Timeout);
        try
        {
            var db = services.GetRequiredService<PostgresDatabase>();
            await using var command = db.Source.CreateCommand(
                "SELECT count(*) FILTER (WHERE sync_state IN ('sync', 'quorum') AND state = 'streaming'), count(*) FILTER (WHERE sync_state IS NULL) " +
                "FROM pg_stat_replication");
            await using var reader = await command.ExecuteReaderAsync(bounded.Token);
            await reader.ReadAsync(bounded.Token);
            long sync = reader.GetInt64(0);
            long hidden = reader.GetInt64(1); // rows whose details this role may not see
            return sync == 0 && hidden > 0 ? -1 : (int)sync;
        }
        catch (Exception) when (!stopping.IsCancellationRequested)
        {
            return -1;
        }
    }
}
