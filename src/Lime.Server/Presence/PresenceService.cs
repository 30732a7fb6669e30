using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Diagnostics;
using Lime.Server.Fanout;
using Lime.Server.Realtime;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Presence;

/// <summary>
/// Presence by heartbeat (embedded mode: this node's connections). A user is online from their first connection
/// until no device has sent anything (a ping counts) for <see cref="PresenceOptions.TimeoutSeconds"/>; a reconnect
/// within that window never shows as offline. Changes go to the users who have them as a contact and to members of
/// their small rooms — never to open channels or large rooms. Last-seen is kept in the store.
/// </summary>
public sealed class PresenceService(
    ConnectionRegistry registry,
    IAccountStore accounts,
    IRoomStore rooms,
    IFanout fanout,
    IOptions<LimeOptions> options,
    TimeProvider time,
    ILogger<PresenceService> log) : BackgroundService
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, long> _onlineLastActive = []; // user → newest activity (Environment.TickCount64)

    public bool IsOnline(long userId)
    {
        lock (_lock)
        {
            return _onlineLastActive.ContainsKey(userId);
        }
    }

    /// <summary>Called when a connection opens: online at once if the user was not.</summary>
    public void Connected(long userId)
    {
        lock (_lock)
        {
            if (_onlineLastActive.ContainsKey(userId))
            {
                _onlineLastActive[userId] = Environment.TickCount64;
                return;
            }

            _onlineLastActive[userId] = Environment.TickCount64;
        }

        _ = AnnounceAsync(userId, online: true, lastSeen: time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>What others may see of a user: online, and last-seen unless hidden.</summary>
    public async Task<(bool Online, long? LastSeen)> GetAsync(long userId, CancellationToken ct)
    {
        var settings = await accounts.GetPresenceSettingsAsync(userId, ct);
        bool online = IsOnline(userId);
        return (online, settings.HideLastSeen ? null : settings.LastSeenAt);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long timeoutMs = options.Value.Presence.TimeoutSeconds * 1000L;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(timeoutMs / 10, 100, 1000)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var activity = registry.LastActivityByUser();
                long now = Environment.TickCount64;
                var wentOffline = new List<(long User, long IdleMs)>();
                var cameBack = new List<long>();
                lock (_lock)
                {
                    foreach (var (user, active) in activity)
                    {
                        if (_onlineLastActive.TryGetValue(user, out long known))
                        {
                            _onlineLastActive[user] = Math.Max(known, active);
                        }
                        else if (now - active < timeoutMs)
                        {
                            // A connection that had gone silent (e.g. a suspended client) is heard from again.
                            _onlineLastActive[user] = active;
                            cameBack.Add(user);
                        }
                    }

                    foreach (var (user, active) in _onlineLastActive)
                    {
                        if (now - active >= timeoutMs)
                        {
                            wentOffline.Add((user, now - active));
                        }
                    }

                    foreach (var (user, _) in wentOffline)
                    {
                        _onlineLastActive.Remove(user);
                    }
                }

                foreach (long user in cameBack)
                {
                    await AnnounceAsync(user, online: true, time.GetUtcNow().ToUnixTimeMilliseconds());
                }

                foreach (var (user, idleMs) in wentOffline)
                {
                    long lastSeen = time.GetUtcNow().ToUnixTimeMilliseconds() - idleMs;
                    await AnnounceAsync(user, online: false, lastSeen);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task AnnounceAsync(long userId, bool online, long lastSeen)
    {
        try
        {
            await accounts.SetLastSeenAsync(userId, lastSeen, CancellationToken.None);
            var settings = await accounts.GetPresenceSettingsAsync(userId, CancellationToken.None);
            var audience = new HashSet<long>(await accounts.WatchersOfAsync(userId, CancellationToken.None));
            audience.UnionWith(await rooms.SmallRoomMatesAsync(userId, options.Value.Rooms.LargeRoomMembers, CancellationToken.None));
            audience.Remove(userId);
            if (audience.Count == 0)
            {
                return;
            }

            byte[] frame = JsonSerializer.SerializeToUtf8Bytes(
                new PresenceFrame(userId, online, settings.HideLastSeen ? null : lastSeen), LimeJsonContext.Default.PresenceFrame);
            fanout.Signal(new Signal(null, audience, frame));
        }
        catch (Exception e)
        {
            Log.PresenceFailed(log, userId, e);
        }
    }
}
