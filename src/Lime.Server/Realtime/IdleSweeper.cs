using Lime.Protocol;
using Microsoft.Extensions.Options;

namespace Lime.Server.Realtime;

/// <summary>
/// Closes connections that sent nothing (not even a ping) within the idle timeout, one timer for all; and when the
/// node stops, tells every client to reconnect elsewhere (4010) before the server goes away.
/// </summary>
public sealed class IdleSweeper(ConnectionRegistry registry, IOptions<LimeOptions> options, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            foreach (var connection in registry.All())
            {
                connection.Close(CloseCodes.GoingAway, "going_away: reconnect", TimeSpan.FromSeconds(2));
            }
        });

        long idleMs = options.Value.Realtime.IdleTimeoutSeconds * 1000L;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(idleMs / 4, 250, 5000)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long now = Environment.TickCount64;
                foreach (var connection in registry.All())
                {
                    if (now - connection.LastReceivedTicks > idleMs)
                    {
                        connection.Close(CloseCodes.IdleTimeout, "idle_timeout", TimeSpan.FromSeconds(2));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
