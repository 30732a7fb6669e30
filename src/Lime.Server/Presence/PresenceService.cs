using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Diagnostics;
using Lime.Server.Fanout;
using Lime.Server.Realtime;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Presence;

/// <summary>
/// Presence by heartbeat. Every tick this node reports the users whose connections here were heard from within the
/// timeout (a ping counts) to the <see cref="IPresenceStore"/>, and expires users not heard from anywhere for
/// <see cref="PresenceOptions.TimeoutSeconds"/>: so a reconnect within the timeout never shows as offline, and a
/// connected but silent (suspended) client does. Changes go to mutual contacts (both added each other) and to members
/// of their small rooms — never to open channels or large rooms, never to someone who merely added them, and never between
/// two users one of whom blocked the other. Last-seen is stored when a user goes offline.
/// </summary>
public sealed class PresenceService(
    ConnectionRegistry registry,
    IPresenceStore store,
    IAccountStore accounts,
    IRoomStore rooms,
    IModerationStore moderation,
    IFanout fanout,
    IOptions<LimeOptions> options,
    TimeProvider time,
    LimeMetrics metrics,
    ILogger<PresenceService> log) : BackgroundService
{
    public async Task<bool[]> AreOnlineAsync(IReadOnlyList<long> users, CancellationToken ct) => await store.AreOnlineAsync(users, ct);

    /// <summary>Called when a connection opens: online at once if the user was not.</summary>
    public void Connected(long userId) => _ = TouchAsync([(userId, Now())]);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long timeoutMs = options.Value.Presence.TimeoutSeconds * 1000L;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(timeoutMs / 10, 100, 1000)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long now = Now();
                long ticks = Environment.TickCount64;
                var heard = registry.LastActivityByUser()
                    .Where(p => ticks - p.Value < timeoutMs)
                    .Select(p => (p.Key, now - (ticks - p.Value)))
                    .ToList();
                await TouchAsync(heard);
                try
                {
                    var gone = await store.ExpireAsync(now - timeoutMs, stoppingToken);
                    if (gone.Count > 0)
                    {
                        await accounts.SetLastSeenAsync(gone, stoppingToken);
                        foreach (var (user, lastActive) in gone)
                        {
                            await AnnounceAsync(user, online: false, lastActive);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Log.PresenceFailed(log, 0, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task TouchAsync(IReadOnlyCollection<(long User, long ActiveAt)> activity)
    {
        try
        {
            foreach (long user in await store.TouchAsync(activity, CancellationToken.None))
            {
                await AnnounceAsync(user, online: true, Now());
            }
        }
        catch (Exception e)
        {
            Log.PresenceFailed(log, 0, e);
        }
    }

    private async Task AnnounceAsync(long userId, bool online, long lastSeen)
    {
        metrics.PresenceChanged(online);
        try
        {
            var settings = await accounts.GetPresenceSettingsAsync(userId, CancellationToken.None);
            var audience = new HashSet<long>(await accounts.MutualContactsAsync(userId, CancellationToken.None));
            audience.UnionWith(await rooms.SmallRoomMatesAsync(userId, options.Value.Rooms.LargeRoomMembers, CancellationToken.None));
            audience.ExceptWith(await moderation.BlockedPeersAsync(userId, CancellationToken.None)); // blocks hide presence both ways
            audience.Remove(userId);
            if (audience.Count == 0)
            {
                return;
            }

            byte[] frame = JsonSerializer.SerializeToUtf8Bytes(
                new PresenceFrame(userId, online, settings.HideLastSeen ? null : lastSeen), SocketJson.Context.PresenceFrame);
            fanout.Signal(new Signal(null, audience, frame));
        }
        catch (Exception e)
        {
            Log.PresenceFailed(log, userId, e);
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
