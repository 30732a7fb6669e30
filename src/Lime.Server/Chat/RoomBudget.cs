using System.Threading.RateLimiting;
using Lime.Protocol;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// Rooms a user may create (<see cref="LimitOptions.RoomsPerHour"/>): a token bucket per user on this node holding
/// RoomsPerHour, one back every hour / RoomsPerHour. Every room costs each of its syncs and room lists something for
/// as long as it lives (3,000 groups made in 6.5 s left every sync of that user at 0.4 s of CPU), so creating them is
/// the thing bounded. Per node, like the send budget: behind a balancer a user gets up to N times this.
/// Buckets of users who have not created a room for a while are full, and the limiter drops full ones.
/// </summary>
public sealed class RoomBudget : IDisposable
{
    private readonly PartitionedRateLimiter<long> _limiter;

    public RoomBudget(IOptions<LimeOptions> options)
    {
        int perHour = options.Value.Limits.RoomsPerHour;
        var refill = TimeSpan.FromTicks(Math.Max(1, TimeSpan.FromHours(1).Ticks / perHour));
        _limiter = PartitionedRateLimiter.Create<long, long>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perHour,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = refill,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one room from the user's budget, or throws <c>rate_limited</c> with the time until one is back.</summary>
    public void Spend(long userId)
    {
        using var lease = _limiter.AttemptAcquire(userId);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
            throw new LimeException(ErrorCodes.RateLimited, "Too many rooms created; try again later.", retryAfter);
        }
    }

    public void Dispose() => _limiter.Dispose();
}
