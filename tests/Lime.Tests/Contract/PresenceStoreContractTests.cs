using Lime.Server;
using Lime.Server.Presence;
using Lime.Server.Redis;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lime.Tests.Contract;

/// <summary>
/// The <see cref="IPresenceStore"/> contract: one subclass per store (in memory for the embedded mode, Redis across
/// nodes); both must pass the same tests. The store is clock-free — activity and the sweep bound are explicit Unix ms —
/// so "heard within the timeout" is "touched at or after now − timeout", and nothing here waits on a clock.
/// Each test gets two nodes' views of one presence state: for Redis two stores on two separate connections to one
/// redis-server; the memory store serves a single node, so both views are the same instance.
/// </summary>
public abstract class PresenceStoreContractTests : IAsyncLifetime
{
    protected const long T0 = 1_700_000_000_000;
    private const long Timeout = 10_000;

    protected IPresenceStore NodeA { get; private set; } = null!;

    protected IPresenceStore NodeB { get; private set; } = null!;

    /// <summary>Why this store's tests are skipped here (a developer machine without the service), or null.</summary>
    protected virtual string? SkipReason => null;

    /// <summary>Skips the running test when this store's service is missing here (never on CI: see SkipReason).</summary>
    protected void SkipWhenUnavailable()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    /// <summary>Two nodes' views of one fresh presence state.</summary>
    protected abstract Task<(IPresenceStore A, IPresenceStore B)> CreateNodesAsync();

    public virtual async ValueTask InitializeAsync()
    {
        if (SkipReason is null)
        {
            (NodeA, NodeB) = await CreateNodesAsync();
        }
    }

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task The_first_touch_reports_a_user_online_once_and_only_that_user()
    {
        SkipWhenUnavailable();
        Assert.Empty(await NodeA.TouchAsync([], default));
        Assert.Empty(await NodeA.AreOnlineAsync([], default));
        Assert.Equal(new[] { false, false }, await NodeA.AreOnlineAsync([1, 2], default));

        Assert.Equal([1L], await NodeA.TouchAsync([(1, T0)], default));
        Assert.Equal(new[] { true, false }, await NodeA.AreOnlineAsync([1, 2], default));
        Assert.Equal(new[] { true, false }, await NodeB.AreOnlineAsync([1, 2], default));

        // Heard again, on this node or another: no transition. A user twice in one batch is reported once.
        Assert.Empty(await NodeA.TouchAsync([(1, T0 + 1000)], default));
        Assert.Empty(await NodeB.TouchAsync([(1, T0 + 2000)], default));
        Assert.Equal([2L, 3L], (await NodeB.TouchAsync([(1, T0 + 2000), (2, T0 + 2000), (3, T0 + 2000), (3, T0 + 2100)], default)).Order());
        Assert.Equal(new[] { true, true, true, false }, await NodeA.AreOnlineAsync([1, 2, 3, 4], default));
        Assert.Equal(new[] { true, true, false, true }, await NodeB.AreOnlineAsync([1, 3, 4, 2], default)); // answers in the order asked
    }

    [Fact]
    public async Task A_user_heard_on_any_node_within_the_timeout_stays_online_and_goes_offline_after_with_the_newest_activity_as_last_seen()
    {
        SkipWhenUnavailable();
        const long user = 42;

        // Phone on node A, laptop on node B; the laptop was heard later.
        Assert.Equal([user], await NodeA.TouchAsync([(user, T0)], default));
        Assert.Empty(await NodeB.TouchAsync([(user, T0 + 4000)], default));

        // The phone's activity is past the timeout, the laptop's is not: online, seen alike from both nodes.
        long now = T0 + 12_000;
        Assert.Empty(await NodeA.ExpireAsync(now - Timeout, default));
        Assert.Empty(await NodeB.ExpireAsync(now - Timeout, default));
        Assert.Equal(new[] { true }, await NodeA.AreOnlineAsync([user], default));
        Assert.Equal(new[] { true }, await NodeB.AreOnlineAsync([user], default));

        // A late report of older activity (node A's tick, out of order) never lowers the newest activity.
        Assert.Empty(await NodeA.TouchAsync([(user, T0 + 1000)], default));
        Assert.Empty(await NodeA.ExpireAsync(T0 + 4000, default)); // activity exactly at the bound is within it
        Assert.Equal(new[] { true }, await NodeB.AreOnlineAsync([user], default));

        // Nothing heard for the timeout anywhere: offline, reported once, with the laptop's activity as last seen.
        now = T0 + 4001 + Timeout;
        Assert.Equal([(user, T0 + 4000)], await NodeB.ExpireAsync(now - Timeout, default));
        Assert.Empty(await NodeA.ExpireAsync(now - Timeout, default));
        Assert.Empty(await NodeB.ExpireAsync(now - Timeout, default));
        Assert.Equal(new[] { false }, await NodeA.AreOnlineAsync([user], default));
        Assert.Equal(new[] { false }, await NodeB.AreOnlineAsync([user], default));
    }

    [Fact]
    public async Task A_sweep_expires_exactly_the_users_not_heard_since_the_bound_with_each_ones_last_activity()
    {
        SkipWhenUnavailable();
        var users = Enumerable.Range(1, 10).Select(i => (User: (long)i, ActiveAt: T0 + (i * 1000))).ToList();
        Assert.Equal(users.Select(u => u.User), (await NodeA.TouchAsync(users, default)).Order());

        long before = T0 + 5500; // users 1-5 are stale, 6-10 are not
        var expired = await NodeB.ExpireAsync(before, default);
        Assert.Equal(users.Take(5), expired.OrderBy(e => e.User));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i > 5), await NodeA.AreOnlineAsync([.. users.Select(u => u.User)], default));

        // Sweeping everything takes the rest, each reported once in all.
        var rest = (await NodeA.ExpireAsync(long.MaxValue, default)).Concat(await NodeB.ExpireAsync(long.MaxValue, default));
        Assert.Equal(users.Skip(5), rest.OrderBy(e => e.User));
        Assert.All(await NodeB.AreOnlineAsync([.. users.Select(u => u.User)], default), Assert.False);
    }

    [Fact]
    public async Task One_sweep_takes_every_stale_user_offline_however_many()
    {
        SkipWhenUnavailable();
        var stale = Enumerable.Range(1, 2500).Select(i => (User: (long)i, ActiveAt: T0 + i)).ToList();
        var fresh = Enumerable.Range(10_001, 100).Select(i => (User: (long)i, ActiveAt: T0 + 20_000)).ToList();
        Assert.Equal(2500, (await NodeA.TouchAsync(stale, default)).Count);
        Assert.Equal(100, (await NodeB.TouchAsync(fresh, default)).Count);

        var expired = await NodeA.ExpireAsync(T0 + 10_000, default);
        Assert.Equal(stale, expired.OrderBy(e => e.User));
        Assert.All(await NodeB.AreOnlineAsync([.. stale.Select(u => u.User)], default), Assert.False);
        Assert.All(await NodeB.AreOnlineAsync([.. fresh.Select(u => u.User)], default), Assert.True);
    }

    [Fact]
    public async Task Coming_back_after_going_offline_is_a_new_transition_and_the_old_activity_is_forgotten()
    {
        SkipWhenUnavailable();
        const long user = 7;
        Assert.Equal([user], await NodeA.TouchAsync([(user, T0 + 5000)], default));
        Assert.Equal([(user, T0 + 5000)], await NodeA.ExpireAsync(T0 + 6000, default));

        // Back on the other node, with activity older than before (that node's clock is behind): online again, and
        // its last seen is that activity, not the forgotten newer one.
        Assert.Equal([user], await NodeB.TouchAsync([(user, T0 + 3000)], default));
        Assert.Equal(new[] { true }, await NodeA.AreOnlineAsync([user], default));
        Assert.Empty(await NodeA.TouchAsync([(user, T0 + 3000)], default));
        Assert.Equal([(user, T0 + 3000)], await NodeA.ExpireAsync(T0 + 3001, default));
        Assert.Equal(new[] { false }, await NodeB.AreOnlineAsync([user], default));
    }

    [Fact]
    public async Task When_nodes_race_each_transition_is_reported_by_exactly_one_of_them()
    {
        SkipWhenUnavailable();
        var users = Enumerable.Range(1, 300).Select(i => (long)i).ToList();
        for (int round = 0; round < 5; round++)
        {
            long at = T0 + (round * 100_000);

            // Both nodes hear every user at once (each in its own batches, in a different order): each user comes
            // online on exactly one node.
            var touches = await Task.WhenAll(
                Task.WhenAll(users.Chunk(50).Select(c => NodeA.TouchAsync([.. c.Select(u => (u, at))], default))),
                Task.WhenAll(users.AsEnumerable().Reverse().Chunk(30).Select(c => NodeB.TouchAsync([.. c.Select(u => (u, at + 1))], default))));
            Assert.Equal(users, touches.SelectMany(node => node.SelectMany(batch => batch)).Order());

            // Both nodes sweep at once: each user goes offline on exactly one node, with its newest activity.
            var sweeps = await Task.WhenAll(
                Task.WhenAll(Enumerable.Range(0, 3).Select(_ => NodeA.ExpireAsync(at + 2, default))),
                Task.WhenAll(Enumerable.Range(0, 3).Select(_ => NodeB.ExpireAsync(at + 2, default))));
            var expired = sweeps.SelectMany(node => node.SelectMany(sweep => sweep)).OrderBy(e => e.User).ToList();
            Assert.Equal(users.Select(u => (u, at + 1)), expired);
            Assert.All(await NodeA.AreOnlineAsync(users, default), Assert.False);
        }
    }
}

public sealed class MemoryPresenceStoreContractTests : PresenceStoreContractTests
{
    protected override Task<(IPresenceStore A, IPresenceStore B)> CreateNodesAsync()
    {
        var store = new MemoryPresenceStore();
        return Task.FromResult<(IPresenceStore, IPresenceStore)>((store, store));
    }
}

public sealed class RedisPresenceStoreContractTests : PresenceStoreContractTests
{
    private readonly RedisInstance _redis = new();
    private readonly List<RedisConnection> _connections = [];

    protected override string? SkipReason => Services.RedisServer is null && !Services.InCi
        ? "redis-server is not installed (apt-get install redis-server); these tests are required on CI."
        : null;

    protected override async Task<(IPresenceStore A, IPresenceStore B)> CreateNodesAsync()
    {
        await _redis.StartAsync();
        return (await NodeAsync(1), await NodeAsync(2));
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        await _redis.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>The presence keys as they are, read and written past the store (node A's connection).</summary>
    private IDatabase Raw => _connections[0].Database;

    [Fact]
    public async Task A_user_left_online_without_an_activity_time_is_taken_offline_by_the_next_sweep()
    {
        SkipWhenUnavailable();
        Assert.Equal([1L, 2L, 3L], (await NodeA.TouchAsync([(1, T0), (2, T0), (3, T0)], default)).Order());

        // The state an older version's touch could leave (its two writes were separate commands, and another node's
        // sweep could remove the user between them): online, with no activity time. No range of scores holds them.
        Assert.True(await Raw.SortedSetRemoveAsync(RedisKeys.PresenceSeen, 2));
        Assert.True(await Raw.SetAddAsync(RedisKeys.PresenceOnline, 99));

        // A sweep that finds nobody stale by activity still takes them offline, once, with the newest stale time
        // standing for their unknown last activity; the others are untouched.
        Assert.Equal([(2L, T0 - 1), (99L, T0 - 1)], (await NodeB.ExpireAsync(T0, default)).OrderBy(e => e.User));
        Assert.Empty(await NodeA.ExpireAsync(T0, default));
        Assert.Equal(new[] { true, false, true, false }, await NodeA.AreOnlineAsync([1, 2, 3, 99], default));
        await AssertConsistentAsync();

        // Heard again: a new transition, and an ordinary user from then on.
        Assert.Equal([2L], await NodeB.TouchAsync([(2, T0 + 5000)], default));
        Assert.Equal([(1L, T0), (3L, T0)], (await NodeA.ExpireAsync(T0 + 1, default)).OrderBy(e => e.User));
        Assert.Equal([(2L, T0 + 5000)], await NodeA.ExpireAsync(T0 + 5001, default));
    }

    [Fact]
    public async Task A_user_online_without_an_activity_time_is_found_even_behind_one_with_an_activity_time_but_offline()
    {
        SkipWhenUnavailable();
        Assert.Equal([1L, 2L], (await NodeA.TouchAsync([(1, T0), (2, T0 + 3000)], default)).Order());

        // Each key holds a user the other does not, so both hold one and their sizes show nothing amiss: the sweep
        // drops the offline user's activity time (announcing nothing, it was not online), then still finds the user
        // online without one.
        Assert.True(await Raw.SortedSetRemoveAsync(RedisKeys.PresenceSeen, 1));
        Assert.True(await Raw.SetRemoveAsync(RedisKeys.PresenceOnline, 2));
        Assert.Equal([(1L, T0 + 3999)], await NodeB.ExpireAsync(T0 + 4000, default));
        Assert.Equal(new[] { false, false }, await NodeA.AreOnlineAsync([1, 2], default));
        await AssertConsistentAsync();
    }

    /// <summary>The two keys hold the same users.</summary>
    private async Task AssertConsistentAsync()
    {
        var online = (await Raw.SetMembersAsync(RedisKeys.PresenceOnline)).Select(u => (long)u).Order();
        var seen = (await Raw.SortedSetRangeByRankAsync(RedisKeys.PresenceSeen)).Select(u => (long)u).Order();
        Assert.Equal(seen, online);
    }

    /// <summary>A node's own connection (as a LIME node makes it), connected before the test starts.</summary>
    private async Task<IPresenceStore> NodeAsync(int nodeId)
    {
        var connection = new RedisConnection(Options.Create(new LimeOptions { NodeId = nodeId, Redis = { Configuration = _redis.Configuration } }));
        _connections.Add(connection);
        await connection.Database.PingAsync().Within();
        Assert.True(connection.Multiplexer.IsConnected);
        return new RedisPresenceStore(connection);
    }
}
