using System.Threading.RateLimiting;
using Lime.Protocol;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// The per-user token bucket for writes to rooms (<see cref="LimitOptions.SendBurst"/>, refilled at
/// <see cref="LimitOptions.SendsPerSecond"/>), shared by all of a user's devices on this node. Operations on messages
/// spend from it so that reactions or edits cannot flood a room faster than messages can.
/// </summary>
public sealed class SendBudget : IDisposable
{
    private readonly PartitionedRateLimiter<long> _limiter;

    public SendBudget(IOptions<LimeOptions> options)
    {
        var limits = options.Value.Limits;
        _limiter = PartitionedRateLimiter.Create<long, long>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.SendBurst,
            TokensPerPeriod = limits.SendsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one write from the user's budget, or throws <c>rate_limited</c> with the time to wait.</summary>
    public void Spend(long userId)
    {
        using var lease = _limiter.AttemptAcquire(userId);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            throw new LimeException(ErrorCodes.RateLimited, "Too many writes; slow down.", retryAfter);
        }
    }

    public void Dispose() => _limiter.Dispose();
}
