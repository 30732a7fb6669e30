using System.Security.Cryptography;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Lime.Server.Auth;

/// <summary>
/// Every password hash LIME computes goes through here. At most <c>Lime:Auth:MaxConcurrentHashes</c> run at once
/// (PBKDF2 with 100,000 iterations is ~100 ms of one core: unbounded, a few clients logging in take every core from
/// the chat), and a login for an unknown username verifies against a dummy hash of the same cost, so that the
/// answer takes as long as a wrong password for a real user and does not tell which usernames exist.
/// </summary>
public sealed class PasswordHashing : IDisposable
{
    /// <summary>How long a request waits for a hashing slot before it is refused as <c>unavailable</c> (503).</summary>
    public static readonly TimeSpan SlotWait = TimeSpan.FromSeconds(10);

    private readonly IPasswordHasher<UserRecord> _hasher;
    private readonly SemaphoreSlim _slots;
    private readonly Lazy<string> _dummyHash;
    private long _hashes;
    private int _running;
    private int _peak;

    public PasswordHashing(IPasswordHasher<UserRecord> hasher, IOptions<LimeOptions> options)
    {
        _hasher = hasher;
        _slots = new SemaphoreSlim(options.Value.Auth.MaxConcurrentHashes);
        // A hash of a random password with the configured cost; never matches anything a client sends.
        _dummyHash = new Lazy<string>(() => hasher.HashPassword(null!, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));
    }

    /// <summary>Hashes computed or verified so far, dummy ones included (lets tests see that the unknown path hashes).</summary>
    public long Hashes => Interlocked.Read(ref _hashes);

    /// <summary>The most hashes that ran at the same time since start (for tests and diagnostics).</summary>
    public int PeakConcurrent => Volatile.Read(ref _peak);

    public Task<string> HashAsync(string password, CancellationToken ct) => RunAsync(() => _hasher.HashPassword(null!, password), ct);

    /// <summary>
    /// Whether <paramref name="password"/> is <paramref name="user"/>'s. A null user (unknown username) or password
    /// still costs one verification, against the dummy hash, and answers false.
    /// </summary>
    public async Task<bool> VerifyAsync(UserRecord? user, string? password, CancellationToken ct)
    {
        var result = await RunAsync(() => _hasher.VerifyHashedPassword(user!, user?.PasswordHash ?? _dummyHash.Value, password ?? ""), ct);
        return user is not null && password is not null && result != PasswordVerificationResult.Failed;
    }

    public void Dispose() => _slots.Dispose();

    private async Task<T> RunAsync<T>(Func<T> hash, CancellationToken ct)
    {
        if (!await _slots.WaitAsync(SlotWait, ct))
        {
            throw new LimeException(ErrorCodes.Unavailable, "The server is busy checking passwords; try again shortly.", TimeSpan.FromSeconds(1));
        }

        try
        {
            int running = Interlocked.Increment(ref _running);
            for (int peak = Volatile.Read(ref _peak); running > peak; peak = Volatile.Read(ref _peak))
            {
                Interlocked.CompareExchange(ref _peak, running, peak);
            }

            Interlocked.Increment(ref _hashes);
            return hash();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            _slots.Release();
        }
    }
}
