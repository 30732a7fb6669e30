using Lime.Server.Storage;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Lime.Server.Auth;

/// <summary>
/// Answers "is this device session live, and is it this user's?" for every authenticated request. A revocation
/// told to this node (<see cref="MarkRevoked"/>: a logout here, or one published by another node through
/// <see cref="IRevocationRelay"/>) applies at once;
/// otherwise an answer is cached for <see cref="CacheFor"/> to keep the store off the request path. The cache holds
/// at most <c>Lime:Auth:SessionCacheEntries</c> devices (least recently used go first when it is full) and every
/// entry expires, revoked ones included: the store stays the truth, so an entry dropped early only costs a read.
/// </summary>
public sealed class DeviceSessions : IDisposable
{
    /// <summary>
    /// How long a revocation told to this node outranks the store: longer than any store read that may have started
    /// before the revocation committed, so such a read cannot put a stale "live" back.
    /// </summary>
    private static readonly TimeSpan RevokedFor = TimeSpan.FromMinutes(1);

    private readonly IAccountStore _accounts;
    private readonly TimeProvider _time;
    private readonly MemoryCache _cache;
    private readonly Lock _gate = new();

    /// <summary>How long a "live" answer is trusted without asking the store (<c>Lime:Auth:SessionCacheSeconds</c>).</summary>
    public TimeSpan CacheFor { get; }

    public DeviceSessions(IAccountStore accounts, TimeProvider time, IOptions<LimeOptions> options)
    {
        _accounts = accounts;
        _time = time;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.Auth.SessionCacheEntries });
        CacheFor = TimeSpan.FromSeconds(options.Value.Auth.SessionCacheSeconds);
    }

    /// <summary>Entries held now (for tests and diagnostics; may lag a compaction).</summary>
    public int Count => _cache.Count;

    /// <summary>Whether <paramref name="deviceId"/> is a live device session of <paramref name="userId"/>.</summary>
    public async ValueTask<bool> IsLiveAsync(long deviceId, long userId, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(deviceId, out Entry? entry) && entry!.Until > now)
        {
            return entry.Live && entry.UserId == userId;
        }

        var device = await _accounts.GetDeviceAsync(deviceId, ct);
        var read = new Entry(device?.UserId ?? 0, device is { RevokedAt: null }, now + CacheFor, Revoked: false);
        lock (_gate)
        {
            // A revocation that arrived while the store was being read wins over what the read saw.
            if (_cache.TryGetValue(deviceId, out Entry? meanwhile) && meanwhile!.Revoked && meanwhile.Until > now)
            {
                return false;
            }

            Set(deviceId, read, CacheFor);
        }

        return read.Live && read.UserId == userId;
    }

    /// <summary>Refuses the device at once on this node (its tokens stop working here before the next store read).</summary>
    public void MarkRevoked(long deviceId)
    {
        lock (_gate)
        {
            Set(deviceId, new Entry(0, Live: false, _time.GetUtcNow() + RevokedFor, Revoked: true), RevokedFor);
        }
    }

    public void Dispose() => _cache.Dispose();

    private void Set(long deviceId, Entry entry, TimeSpan lifetime) =>
        _cache.Set(deviceId, entry, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = lifetime });

    private sealed record Entry(long UserId, bool Live, DateTimeOffset Until, bool Revoked);
}
