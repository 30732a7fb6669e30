using System.Diagnostics;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Cluster;
using Lime.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Cluster;

/// <summary>
/// Room ownership with two in-process nodes on one PostgreSQL database and one Redis: leases balance the
/// partitions, writes for rooms owned by the other node are forwarded (in order, once each, gap-free), a stopped
/// node's partitions are taken by the other, and every refusal reads the same whether the room is owned by the
/// sender's node or forwarded.
/// </summary>
public sealed class OwnershipTests
{
    private const int Partitions = 8;

    [ClusterFact]
    public async Task Two_members_on_two_nodes_get_one_gap_free_order_each_message_once()
    {
        await using var pair = await OwnedPair.StartAsync();
        var alice = await pair.A.NewUserAsync("alice");
        var bob = await pair.B.NewUserAsync("bob");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "across", Members: [bob.Id])).Within();

        await using var aliceSocket = await pair.A.ConnectAsync(alice.Tokens.AccessToken);
        await using var bobSocket = await pair.B.ConnectAsync(bob.Tokens.AccessToken);
        await Wait.UntilSubscribedAsync(alice, room.Id, bobSocket);
        await Wait.UntilSubscribedAsync(bob, room.Id, aliceSocket);

        const int n = 300;
        // Pipelined: each connection has many sends in flight, so the forwarding lane batches them.
        var aliceSends = Enumerable.Range(0, n).Select(i => aliceSocket.SendMessageAsync(room.Id, $"m-a-{i}", $"from alice {i}")).ToArray();
        var bobSends = Enumerable.Range(0, n).Select(i => bobSocket.SendMessageAsync(room.Id, $"m-b-{i}", $"from bob {i}")).ToArray();
        var aliceAcks = await Task.WhenAll(aliceSends).Within(TimeSpan.FromMinutes(2));
        var bobAcks = await Task.WhenAll(bobSends).Within(TimeSpan.FromMinutes(2));

        // One connection's sends keep their order across the forward.
        Assert.Equal(aliceAcks.Select(a => a.Seq).Order(), aliceAcks.Select(a => a.Seq));
        Assert.Equal(bobAcks.Select(a => a.Seq).Order(), bobAcks.Select(a => a.Seq));
        Assert.All(aliceAcks.Concat(bobAcks), a => Assert.False(a.Duplicate));

        // One gap-free order, each message once, read from both nodes.
        foreach (var reader in new[] { alice, bob })
        {
            var events = await AllEventsAsync(reader, room.Id);
            Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
            var mine = events.Where(e => e.ClientMsgId?.StartsWith("m-", StringComparison.Ordinal) == true).ToList();
            Assert.Equal(2 * n, mine.Count);
            Assert.Equal(2 * n, mine.Select(e => e.ClientMsgId).Distinct().Count());
            Assert.Equal(aliceAcks.Concat(bobAcks).Select(a => a.Seq).Order(), mine.Select(e => e.Seq));
        }

        // Every socket receives every message once (the owner publishes, Redis relays to the sender's node).
        foreach (var socket in new[] { aliceSocket, bobSocket })
        {
            var got = await Wait.ForEventsAsync(socket.Events, 2 * n, e => e.ClientMsgId?.StartsWith("m-", StringComparison.Ordinal) == true, TimeSpan.FromMinutes(1));
            Assert.Equal(2 * n, got.Select(e => e.Seq).Distinct().Count());
            Assert.Null(await Wait.ForAnyEventAsync(socket.Events, TimeSpan.FromMilliseconds(500), e => e.ClientMsgId?.StartsWith("m-", StringComparison.Ordinal) == true));
        }

        // The room has one owner; the other node forwarded its member's writes.
        bool ownedByA = pair.LeasesA.Holds(room.Id);
        Assert.NotEqual(ownedByA, pair.LeasesB.Holds(room.Id));
        Assert.True((ownedByA ? pair.WriterB : pair.WriterA).Forwarded >= n);
    }

    [ClusterFact]
    public async Task When_a_node_stops_the_other_owns_every_partition_and_writes_its_rooms()
    {
        await using var pair = await OwnedPair.StartAsync();
        var alice = await pair.A.NewUserAsync("alice");
        var rooms = new List<RoomDto>();
        for (int i = 0; i < Partitions; i++)
        {
            rooms.Add(await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "r" + i)).Within());
        }

        var remote = rooms.First(r => pair.LeasesB.Holds(r.Id));
        var before = await alice.Http.SendAsync(remote.Id, new SendMessageRequest("before", "forwarded to node B")).Within();

        var stopped = Stopwatch.StartNew();
        await pair.StopBAsync();
        await UntilAsync(() => pair.LeasesA.HeldCount == Partitions, TimeSpan.FromSeconds(20), "node A holds every partition");
        var after = await alice.Http.SendAsync(remote.Id, new SendMessageRequest("after", "written by node A now")).Within();
        Console.WriteLine($"ownership: node B stopped, node A owns all {Partitions} partitions and wrote in {stopped.ElapsedMilliseconds} ms");

        Assert.Equal(before.Seq + 1, after.Seq);
        Assert.True(pair.LeasesA.Holds(remote.Id));
        foreach (var room in rooms)
        {
            await alice.Http.SendAsync(room.Id, new SendMessageRequest("all-" + room.Id, "every room writes")).Within();
        }
    }

    [ClusterFact]
    public async Task Every_refusal_is_the_same_whether_the_room_is_owned_here_or_forwarded_and_stores_nothing()
    {
        await using var pair = await OwnedPair.StartAsync(new Dictionary<string, string?>
        {
            ["Lime:Limits:SendBurst"] = "3",
            ["Lime:Limits:SendsPerSecond"] = "1",
        });
        var alice = await pair.A.NewUserAsync("alice");
        var stranger = await pair.A.NewUserAsync("stranger");
        var rooms = new List<RoomDto>();
        for (int i = 0; i < Partitions; i++)
        {
            rooms.Add(await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "r" + i)).Within());
        }

        var local = rooms.First(r => pair.LeasesA.Holds(r.Id));
        var forwarded = rooms.First(r => pair.LeasesB.Holds(r.Id));
        long missingLocal = Enumerable.Range(1, 64).Select(k => forwarded.Id + 1000 + k).First(id => pair.LeasesA.Holds(id));
        long missingForwarded = Enumerable.Range(1, 64).Select(k => forwarded.Id + 1000 + k).First(id => pair.LeasesB.Holds(id));

        async Task<LimeApiException> Refused(TestUser user, long room, SendMessageRequest request) =>
            await Assert.ThrowsAsync<LimeApiException>(() => user.Http.SendAsync(room, request).Within());

        var cases = new (string Code, TestUser User, Func<long, long> Room, SendMessageRequest Request)[]
        {
            (ErrorCodes.Forbidden, stranger, r => r, new SendMessageRequest("x-forbidden", "not a member")),
            (ErrorCodes.NotFound, alice, r => r == local.Id ? missingLocal : missingForwarded, new SendMessageRequest("x-missing", "no such room")),
            (ErrorCodes.MessageTooLarge, alice, r => r, new SendMessageRequest("x-large", new string('x', 102_401))),
            (ErrorCodes.Validation, alice, r => r, new SendMessageRequest("x-blank", "   ")),
        };
        foreach (var (code, user, roomOf, request) in cases)
        {
            var here = await Refused(user, roomOf(local.Id), request);
            var there = await Refused(user, roomOf(forwarded.Id), request);
            Assert.Equal(code, here.Code);
            Assert.Equal(here.Code, there.Code);
            Assert.Equal(here.Status, there.Status);
            Assert.Equal(here.Detail, there.Detail);
        }

        // rate_limited: a burst of 3 per user, then refused with the same retry hint on both kinds of room.
        var carol = await pair.A.NewUserAsync("carol");
        var dave = await pair.A.NewUserAsync("dave");
        await alice.Http.AddMembersAsync(local.Id, carol.Id).Within();
        await alice.Http.AddMembersAsync(forwarded.Id, dave.Id).Within();
        var limited = new List<LimeApiException>();
        foreach (var (user, room) in new[] { (carol, local.Id), (dave, forwarded.Id) })
        {
            for (int i = 0; i < 3; i++)
            {
                await user.Http.SendAsync(room, new SendMessageRequest($"ok-{i}", "within budget")).Within();
            }

            limited.Add(await Refused(user, room, new SendMessageRequest("x-limited", "over budget")));
        }

        Assert.All(limited, e => Assert.Equal(ErrorCodes.RateLimited, e.Code));
        Assert.Equal(limited[0].Status, limited[1].Status);

        // Nothing of any refused send was stored, in either room.
        foreach (var room in new[] { local, forwarded })
        {
            var events = await AllEventsAsync(alice, room.Id);
            Assert.DoesNotContain(events, e => e.ClientMsgId?.StartsWith("x-", StringComparison.Ordinal) == true);
            Assert.Equal(3, events.Count(e => e.Kind == EventKinds.Message));
        }
    }

    private static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"Not true within {timeout}: {what}.");
            }

            await Task.Delay(20);
        }
    }

    private static async Task<List<EventDto>> AllEventsAsync(TestUser user, long room)
    {
        var all = new List<EventDto>();
        long after = 0;
        for (int page = 0; page < 100; page++)
        {
            var history = await user.Http.GetHistoryAsync(room, after: after, limit: 200).Within();
            all.AddRange(history.Events);
            if (history.Events.Length == 0 || !history.HasMoreAfter)
            {
                break;
            }

            after = history.Events[^1].Seq;
        }

        return all;
    }

    /// <summary>Two owned nodes (ids 1 and 2) on one fresh database and Redis slice, forwarding to each other in-process.</summary>
    private sealed class OwnedPair : IAsyncDisposable
    {
        private readonly string _database;
        private readonly RedisSlice _redis;
        private bool _bStopped;

        private OwnedPair(string database, RedisSlice redis, LimeServer a, LimeServer b)
        {
            _database = database;
            _redis = redis;
            A = a;
            B = b;
        }

        public LimeServer A { get; }
        public LimeServer B { get; }
        public PartitionLeases LeasesA => A.Services.GetRequiredService<PartitionLeases>();
        public PartitionLeases LeasesB => B.Services.GetRequiredService<PartitionLeases>();
        public OwnedRoomWriter WriterA => A.Services.GetRequiredService<OwnedRoomWriter>();
        public OwnedRoomWriter WriterB => B.Services.GetRequiredService<OwnedRoomWriter>();

        public static async Task<OwnedPair> StartAsync(IDictionary<string, string?>? extra = null)
        {
            string database = await SharedServices.NewDatabaseAsync();
            var redis = await SharedServices.NewRedisSliceAsync();
            string key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var nodes = new Dictionary<int, LimeServer>();
            LimeServer Node(int id)
            {
                var settings = new Dictionary<string, string?>
                {
                    ["Lime:NodeId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Lime:Storage:Provider"] = "postgres",
                    ["Lime:Storage:PostgresConnectionString"] = database,
                    ["Lime:Fanout:Provider"] = "redis",
                    ["Lime:Redis:Configuration"] = redis.Configuration,
                    ["Lime:Auth:SigningKey"] = key,
                    ["Lime:Cluster:InternalUrl"] = $"http://127.0.0.1:{59100 + id}",
                    ["Lime:Cluster:Partitions"] = Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Lime:Cluster:LeaseTickMs"] = "100",
                };
                foreach (var (k, v) in extra ?? new Dictionary<string, string?>())
                {
                    settings[k] = v;
                }

                return new LimeServer(settings)
                {
                    ConfigureHost = host => host.ConfigureServices(s => s.AddSingleton<ForwardTransport>(new Routed(nodes))),
                };
            }

            var a = Node(1);
            var b = Node(2);
            nodes[59101] = a;
            nodes[59102] = b;
            var pair = new OwnedPair(database, redis, a, b);
            try
            {
                _ = a.Services; // start both hosts
                _ = b.Services;
                await UntilAsync(() => pair.LeasesA.HeldCount == Partitions / 2 && pair.LeasesB.HeldCount == Partitions / 2,
                    TimeSpan.FromSeconds(30), "the partitions are balanced 4 / 4");
                return pair;
            }
            catch
            {
                await pair.DisposeAsync();
                throw;
            }
        }

        public async Task StopBAsync()
        {
            _bStopped = true;
            await B.DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_bStopped)
            {
                await B.DisposeAsync();
            }

            await A.DisposeAsync();
            await SharedServices.DropDatabaseAsync(_database);
            await SharedServices.ReleaseRedisSliceAsync(_redis);
        }
    }

    /// <summary>Forwards reach the in-process node whose internal URL's port they name.</summary>
    private sealed class Routed(Dictionary<int, LimeServer> nodes) : ForwardTransport
    {
        public override HttpMessageHandler CreateHandler() => new Router(nodes);

        private sealed class Router(Dictionary<int, LimeServer> nodes) : DelegatingHandler
        {
            private readonly Dictionary<int, HttpMessageInvoker> _invokers = [];

            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                int port = request.RequestUri!.Port;
                HttpMessageInvoker invoker;
                lock (_invokers)
                {
                    if (!_invokers.TryGetValue(port, out invoker!))
                    {
                        if (!nodes.TryGetValue(port, out var node))
                        {
                            throw new HttpRequestException(HttpRequestError.ConnectionError, "no such node");
                        }

                        invoker = new HttpMessageInvoker(node.Server.CreateHandler());
                        _invokers[port] = invoker;
                    }
                }

                return invoker.SendAsync(request, cancellationToken);
            }
        }
    }
}
