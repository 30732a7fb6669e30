using System.Collections.Concurrent;
using Lime.Server.Storage;

namespace Lime.Server.Auth;

/// <summary>
/// Answers "is this device session still live?" for every authenticated request. Revocations made on this node
/// apply at once; the answer for others is cached for a few seconds to keep the store off the request path.
/// </summary>
public sealed class DeviceSessions(IAccountStore accounts, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<long, (bool Live, DateTimeOffset Until)> _cache = new();

    public async ValueTask<bool> IsLiveAsync(long deviceId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(deviceId, out var entry) && entry.Until > now)
        {
            return entry.Live;
        }

        var device = await accounts.GetDeviceAsync(deviceId, ct);
        bool live = device is { RevokedAt: null };
        _cache[deviceId] = (live, now + CacheFor);
        return live;
    }

    public void MarkRevoked(long deviceId) => _cache[deviceId] = (false, DateTimeOffset.MaxValue);
}
