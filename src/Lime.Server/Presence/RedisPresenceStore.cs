using System.Globalization;
using Lime.Server.Redis;
using StackExchange.Redis;

namespace Lime.Server.Presence;

/// <summary>
/// Presence across nodes in Redis: a sorted set of newest activity per user (each node raises its users' scores)
/// and a set of online users. Adding to / removing from the set is the transition, so only one node announces it.
/// A node that stops (crash, SIGSTOP) stops raising scores, and any other node's sweep takes its users offline.
/// Every write keeps the two keys holding the same users: a touch writes both in one script, a sweep removes both in
/// one script. A user online without an activity time (left by an older version, whose touch wrote the two keys in
/// separate commands so another node's sweep could run between them) is stale, and the next sweep takes it offline.
/// </summary>
public sealed class RedisPresenceStore(RedisConnection redis) : IPresenceStore
{
    // The most stale users read per range query; a sweep reads page after page until none is left.
    private const int ExpirePage = 1000;

    // The most users written by one touch script (Redis runs nothing else while a script runs).
    private const int TouchPage = 500;

    // The most online users checked per page when looking for users online without an activity time.
    private const int ScanPage = 1000;

    // KEYS: seen, online; ARGV: user, activity, user, activity, … For each user, in one step: raises the newest
    // activity (GT alone adds a new member and raises an existing one only; Redis refuses GT combined with NX, which
    // left the scores unwritten and nobody ever went offline) and adds the user to the online set. Returns the users
    // the set did not hold: each came online, and only this call saw it. A sweep on another node can no longer run
    // between the two writes and leave a user online with no activity time, whom no sweep found.
    private const string Touch =
        "local added = {} " +
        "for i = 1, #ARGV, 2 do " +
        "redis.call('ZADD', KEYS[1], 'GT', ARGV[i + 1], ARGV[i]) " +
        "if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then added[#added + 1] = ARGV[i] end " +
        "end " +
        "return added";

    // Removes the user only if still stale (not refreshed since the range query); if it was online, returns its newest
    // activity as of now (a concurrent touch may have raised it since the range query) in a one-element array, else
    // nil. A user online without an activity time is stale: it goes offline, returned as an empty array.
    private static readonly LuaScript Expire = LuaScript.Prepare(
        "local s = redis.call('ZSCORE', @seen, @user) " +
        "if s then " +
        "if tonumber(s) >= tonumber(@before) then return false end " +
        "redis.call('ZREM', @seen, @user) " +
        "end " +
        "if redis.call('SREM', @online, @user) == 0 then return false end " +
        "if s then return { tonumber(s) } end " +
        "return {}");

    // Both sizes at one instant: the online set larger than the sorted set means some user is online without an
    // activity time (the scripts above add and remove a user in both keys together).
    private static readonly LuaScript Sizes = LuaScript.Prepare(
        "return { redis.call('SCARD', @online), redis.call('ZCARD', @seen) }");

    public async Task<IReadOnlyList<long>> TouchAsync(IReadOnlyCollection<(long User, long ActiveAt)> activity, CancellationToken ct)
    {
        if (activity.Count == 0)
        {
            return [];
        }

        var db = redis.Database;
        var pages = activity.Chunk(TouchPage).Select(page => db.ScriptEvaluateAsync(
            Touch,
            [RedisKeys.PresenceSeen, RedisKeys.PresenceOnline],
            [.. page.SelectMany(a => new RedisValue[] { a.User, a.ActiveAt })]));
        var added = new List<long>();
        foreach (var result in await Task.WhenAll(pages))
        {
            added.AddRange(((RedisResult[])result!).Select(user => (long)user));
        }

        return added;
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
                await ExpireUserAsync(db, (long)member, before, expired);
            }
        }
        while (stale.Length == ExpirePage);

        // Users online without an activity time are never in the range above. The scripts keep none, so only state
        // left by an older version (or by one still running during an upgrade) has any; look for them only then.
        var sizes = (RedisResult[])(await db.ScriptEvaluateAsync(Sizes, new { online = RedisKeys.PresenceOnline, seen = RedisKeys.PresenceSeen }))!;
        if ((long)sizes[0] > (long)sizes[1])
        {
            var page = new List<RedisValue>(ScanPage);
            await foreach (var member in db.SetScanAsync(RedisKeys.PresenceOnline, pageSize: ScanPage))
            {
                page.Add(member);
                if (page.Count == ScanPage)
                {
                    await ExpireUnseenAsync(db, page, before, expired);
                    page.Clear();
                }
            }

            await ExpireUnseenAsync(db, page, before, expired);
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

    /// <summary>Takes offline those of <paramref name="online"/> without an activity time.</summary>
    private static async Task ExpireUnseenAsync(IDatabase db, List<RedisValue> online, long before, List<(long, long)> expired)
    {
        if (online.Count == 0)
        {
            return;
        }

        var scores = await db.SortedSetScoresAsync(RedisKeys.PresenceSeen, [.. online]);
        for (int i = 0; i < online.Count; i++)
        {
            if (scores[i] is null)
            {
                await ExpireUserAsync(db, (long)online[i], before, expired);
            }
        }
    }

    private static async Task ExpireUserAsync(IDatabase db, long user, long before, List<(long, long)> expired)
    {
        var result = await db.ScriptEvaluateAsync(Expire, new
        {
            seen = RedisKeys.PresenceSeen,
            online = RedisKeys.PresenceOnline,
            user = user.ToString(CultureInfo.InvariantCulture),
            before = before.ToString(CultureInfo.InvariantCulture),
        });
        if (result.IsNull)
        {
            return;
        }

        // No activity time: nobody touched the user since it was lost (a touch writes one), and every node touches
        // its users each tick while they are heard within the timeout, so the last activity was about the bound or
        // earlier; the newest time that is still stale stands for it.
        var lastActive = (RedisResult[])result!;
        expired.Add((user, lastActive.Length == 1 ? (long)lastActive[0] : before - 1));
    }
}
