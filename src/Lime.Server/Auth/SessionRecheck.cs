using System.Data.Common;
using Lime.Server.Diagnostics;
using Lime.Server.Realtime;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Auth;

/// <summary>
/// Every <c>Lime:Auth:SessionRecheckSeconds</c> (30), asks the store which of the devices with a socket on this node
/// are still live, and applies the revocation of the others (4001 <c>logged_out</c>). Revocations normally reach every
/// node at once (<see cref="IRevocationRelay"/>); this bounds how long a socket can outlive one that was lost on the
/// way (Redis down when it was published). One indexed read per 500 distinct devices.
/// </summary>
public sealed class SessionRecheck(
    ConnectionRegistry connections,
    IAccountStore accounts,
    SessionRevocation revocation,
    IOptions<LimeOptions> options,
    TimeProvider time,
    ILogger<SessionRecheck> log) : BackgroundService
{
    private const int Chunk = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.Auth.SessionRecheckSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CheckAsync(stoppingToken);
                }
                catch (Exception e) when (e is DbException or TimeoutException or InvalidOperationException)
                {
                    Log.SessionRecheckFailed(log, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One pass: revocations applied for every device with a socket here that the store says is not live.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        long[] devices = connections.All().Select(c => c.DeviceId).Distinct().ToArray();
        foreach (long[] chunk in devices.Chunk(Chunk))
        {
            var live = (await accounts.LiveDeviceIdsAsync(chunk, ct)).ToHashSet();
            foreach (long device in chunk.Where(d => !live.Contains(d)))
            {
                revocation.ApplyHere(device, "logged_out");
            }
        }
    }
}
