using System.Globalization;
using Lime.Server.Redis;
using StackExchange.Redis;

namespace Lime.Server.Presence;

/// <summary>
/// Presence across nodes in Redis: a sorted set of newest activity per user (each node raises its users' scores)
/// and a set of online users. Adding to / removing from the set is the transition, so only one node announces it.
/// A node that stops (crash, SIGSTOP) stops raising scores, and any other node's sweep takes its users offline.
/// </summary>
public sealed class RedisPresenceStore(RedisConnection redis) : IPresenceStore
{
    // Removes the user only if still stale (not refreshed since the range query), then reports whether it was online.
    private static readonly LuaScript Expire = LuaScript.Prepare(
        "local s = redis.call('ZSCORE', @seen, @user) " +
        "if s and tonumber(s) < tonumber(@before) then redis.call('ZREM', @seen, @user) return redis.call('SREM', @online, @user) end " +
        "return 0");

    public async Task<IReadOnlyList<long>> TouchAsync(IReadOnlyCollection<(long User, long ActiveAt)> activity, CancellationToken ct)
    {
        if (activity.Count == 0)
        {
            return [];
        }

        var db = redis.Database;
        var batch = db.CreateBatch();
        var added = new List<(long User, Task<bool> Added)>(activity.Count);
        foreach (var (user, at) in activity)
        {
            // GT alone adds a new member and raises an existing one only; Redis refuses GT combined with NX, which
            // left the scores unwritten and nobody ever went offline.
            _ = batch.SortedSetAddAsync(RedisKeys.PresenceSeen, user, at, SortedSetWhen.GreaterThan);
            added.Add((user, batch.SetAddAsync(RedisKeys.PresenceOnline, user)));
        }

        batch.Execute();
        await Task.WhenAll(added.Select(a => a.Added));
        return [.. added.Where(a => a.Added.Result).Select(a => a.User)];
    }

    public async Task<IReadOnlyList<(long User, long LastActive)>> ExpireAsync(long before, CancellationToken ct)
    {
        var db = redis.Database;
        var stale = await db.SortedSetRangeByScoreWithScoresAsync(RedisKeys.PresenceSeen, double.NegativeInfinity, before, Exclude.Stop, take: 1000);
        var expired = new List<(long, long)>();
        foreach (var entry in stale)
        {
            long user = (long)entry.Element;
            var removed = await db.ScriptEvaluateAsync(Expire, new
            {
                seen = RedisKeys.PresenceSeen,
                online = RedisKeys.PresenceOnline,
                user = user.ToString(CultureInfo.InvariantCulture),
                before = before.ToString(CultureInfo.InvariantCulture),
            });
            if ((long)removed == 1)
            {
                expired.Add((user, (long)entry.Score));
            }
        }

        return expired;
    }

    public async Task<bool[]> AreOnlineAsync(IReadOnlyList<long> users, CancellationToken ct)
    {
        if (users.Count == 0)
        {
            return [];
        }

        return await redis.Database.SetContainsAsync(RedisKeys.PresenceOnline, [.. users.Select(u => (RedisValue)u)]);
    }
}
