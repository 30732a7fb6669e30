using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Lime.Protocol;
using Lime.Server.Chat;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Lime.Server.Auth;

/// <summary>
/// Throttles password guessing and account farming, with ASP.NET Core's rate limiter (token buckets, per node):
/// <list type="bullet">
/// <item>per client address (the rate-limiting middleware, policies <see cref="Login"/>, <see cref="Register"/>,
/// <see cref="Refresh"/>): every request counts, successful or not;</item>
/// <item>per account (<see cref="Check"/>/<see cref="Fail"/>, called by <see cref="AccountService"/>): wrong passwords
/// for one username from any address, refused registrations of one username, and every use of one refresh token.
/// A correct password for a username past its budget is refused too: that is what stops guessing.</item>
/// </list>
/// A refusal is <c>429 rate_limited</c> with <c>retry_after_ms</c> and Retry-After: when a token is back.
/// </summary>
public sealed class AuthThrottle : IDisposable
{
    public const string Login = "auth-login";
    public const string Register = "auth-register";
    public const string Refresh = "auth-refresh";

    private readonly PartitionedRateLimiter<string> _accounts;

    public AuthThrottle(IOptions<LimeOptions> options)
    {
        var auth = options.Value.Auth;
        _accounts = PartitionedRateLimiter.Create<string, string>(key =>
            RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(auth.AccountAttemptsPerMinute, TimeSpan.FromMinutes(1))));
    }

    /// <summary>Refuses (<c>rate_limited</c>) when <paramref name="account"/> has no attempt left; spends nothing.</summary>
    public void Check(string account)
    {
        // Not AttemptAcquire(0): the bucket refills in fractions, and a zero-permit lease succeeds on any fraction.
        if (_accounts.GetStatistics(account) is { CurrentAvailablePermits: < 1 })
        {
            // A one-permit attempt on an empty bucket spends nothing and says when a whole token is back (if one came
            // back meanwhile, it is spent: harmless).
            using var lease = _accounts.AttemptAcquire(account, 1);
            if (!lease.IsAcquired)
            {
                throw Refused(lease, "Too many attempts for this account; wait before trying again.");
            }
        }
    }

    /// <summary>Spends one attempt of <paramref name="account"/> (a wrong password, a refused registration).</summary>
    public void Fail(string account) => _accounts.AttemptAcquire(account, 1).Dispose();

    /// <summary>Spends one attempt of <paramref name="account"/>, refusing when none is left.</summary>
    public void Spend(string account)
    {
        using var lease = _accounts.AttemptAcquire(account, 1);
        if (!lease.IsAcquired)
        {
            throw Refused(lease, "Too many attempts for this account; wait before trying again.");
        }
    }

    public void Dispose() => _accounts.Dispose();

    /// <summary>The per-address policies for <c>/api/auth</c> (the middleware answers a refusal with ProblemDetails).</summary>
    public static void AddPolicies(RateLimiterOptions limiter, AuthOptions auth)
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.AddPolicy(Login, context => PerAddress(context, Login, auth.LoginsPerAddressPerMinute, TimeSpan.FromMinutes(1)));
        limiter.AddPolicy(Register, context => PerAddress(context, Register, auth.RegistrationsPerAddressPerHour, TimeSpan.FromHours(1)));
        limiter.AddPolicy(Refresh, context => PerAddress(context, Refresh, auth.RefreshesPerAddressPerMinute, TimeSpan.FromMinutes(1)));
    }

    /// <summary>
    /// The address a client is throttled by: its IPv4 address, or the /64 of an IPv6 one (one subscriber usually has
    /// a whole /64, so single IPv6 addresses would cost an attacker nothing).
    /// </summary>
    public static string AddressKey(IPAddress? address)
    {
        if (address is null)
        {
            return "-";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    public static LimeException Refused(RateLimitLease lease, string message) =>
        new(ErrorCodes.RateLimited, message, lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1));

    private static RateLimitPartition<string> PerAddress(HttpContext context, string policy, int limit, TimeSpan per) =>
        RateLimitPartition.GetTokenBucketLimiter(policy + " " + AddressKey(context.Connection.RemoteIpAddress), _ => Bucket(limit, per));

    /// <summary><paramref name="limit"/> at once, then one more every <paramref name="per"/> / <paramref name="limit"/>.</summary>
    private static TokenBucketRateLimiterOptions Bucket(int limit, TimeSpan per) => new()
    {
        TokenLimit = limit,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = per / limit,
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
