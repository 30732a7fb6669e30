using Lime.Protocol;
using Microsoft.Extensions.Options;

namespace Lime.Server.Realtime;

/// <summary>Closes connections that sent nothing (not even a ping) within the idle timeout. One timer for all.</summary>
public sealed class IdleSweeper(ConnectionRegistry registry, IOptions<LimeOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
