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
    // The most stale users read per range query; a sweep reads page after page until none is left.
    private const int ExpirePage = 1000;

    // Removes the user only if still stale (not refreshed since the range query); if it was online, returns its newest
    // activity as of now (a concurrent touch may have raised it since the range query), else nil.
    private static readonly LuaScript Expire = LuaScript.Prepare(
        "local s = redis.call('ZSCORE', @seen, @user) " +
        "if s and tonumber(s) < tonumber(@before) then redis.call('ZREM', @seen, @user) " +
        "if redis.call('SREM', @online, @user) == 1 then return tonumber(s) end end " +
        "return false");

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
        var expired = new List<(long, long)>();
        RedisValue[] stale;
        do
        {
            // Every user read here leaves the range (removed, or refreshed past the bound), so the next page starts
            // at the front again; the contract is every stale user in one sweep, not the first page of them.
            stale = await db.SortedSetRangeByScoreAsync(RedisKeys.PresenceSeen, double.NegativeInfinity, before, Exclude.Stop, take: ExpirePage);
            foreach (var member in stale)
            {
                long user = (long)member;
                var lastActive = await db.ScriptEvaluateAsync(Expire, new
                {
                    seen = RedisKeys.PresenceSeen,
                    online = RedisKeys.PresenceOnline,
                    user = user.ToString(CultureInfo.InvariantCulture),
                    before = before.ToString(CultureInfo.InvariantCulture),
                });
                if (!lastActive.IsNull)
                {
                    expired.Add((user, (long)lastActive));
                }
            }
        }
        while (stale.Length == ExpirePage);

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
