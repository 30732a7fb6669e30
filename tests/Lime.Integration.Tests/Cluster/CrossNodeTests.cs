using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Cluster;

/// <summary>Three LIME nodes on PostgreSQL (primary + synchronous standby) and Redis, all real processes.</summary>
[Collection("cluster")]
public sealed class CrossNodeTests
{
    [ClusterFact]
    public async Task A_message_sent_on_one_node_reaches_devices_on_the_others_and_is_on_the_standby_when_acked()
    {
        // A cached "live" device session is trusted for 10 minutes and sockets are not rechecked, so only the
        // revocation relay can end a session on another node within this test (the logout at the end).
        await using var cluster = await LimeCluster.StartAsync(nodes: 3, new Dictionary<string, string>
        {
            ["Lime__Auth__SessionCacheSeconds"] = "600",
            ["Lime__Auth__SessionRecheckSeconds"] = "3600",
        });
        var (aliceHttp, alice) = await cluster.NewUserAsync(0, "alice");
        var (bobHttp, bob) = await cluster.NewUserAsync(1, "bob");
        var room = await aliceHttp.CreateDirectAsync(bob.User.Id);

        await using var aliceSocket = await cluster.ConnectAsync(0, alice.AccessToken);
        await using var bobOnNode2 = await cluster.ConnectAsync(1, bob.AccessToken);
        var bobPhone = await new LimeHttpClient(cluster.Http(2)).LoginAsync(new LoginRequest(bob.User.Username, "correct horse battery", "phone"));
        await using var bobOnNode3 = await cluster.ConnectAsync(2, bobPhone.AccessToken);
        await bobOnNode2.SyncAsync(null);
        await bobOnNode3.SyncAsync(null);

        var acks = new List<AckDto>();
        for (int i = 0; i < 50; i++)
        {
            var ack = await aliceSocket.SendMessageAsync(room.Id, $"x{i}", $"cross-node {i}");
            acks.Add(ack);

            // Acknowledged means committed on the primary and on the synchronous standby.
            var onStandby = await LimeCluster.EventsAsync(cluster.StandbyConnectionString, room.Id);
            Assert.Contains(onStandby, e => e.Seq == ack.Seq && e.Id == ack.Id);
        }

        foreach (var socket in new[] { bobOnNode2, bobOnNode3 })
        {
            var got = await Wait.ForEventsAsync(socket.Events, 50, e => e.Kind == EventKinds.Message);
            Assert.Equal(acks.Select(a => a.Seq), got.Select(e => e.Seq));
        }

        // A new member added on node 3 starts receiving on node 1 (membership travels on the user channel).
        var (carolHttp, carol) = await cluster.NewUserAsync(0, "carol");
        await using var carolSocket = await cluster.ConnectAsync(0, carol.AccessToken);
        var group = await bobHttp.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "trio", Members: [alice.User.Id]));
        await new LimeHttpClient(cluster.Http(2)) { AccessToken = bobPhone.AccessToken }.AddMembersAsync(group.Id, carol.User.Id);
        await Wait.ForEventsAsync(carolSocket.Events, 1, e => e.Kind == EventKinds.MembersAdded && e.Room == group.Id);
        var hello = await bobOnNode3.SendMessageAsync(group.Id, "g1", "welcome carol");
        var seen = await Wait.ForEventsAsync(carolSocket.Events, 1, e => e.Kind == EventKinds.Message && e.Room == group.Id);
        Assert.Equal(hello.Seq, seen[0].Seq);

        // Logout on node 1 ends bob's phone session on node 3 (issue 19, finding 7): its socket there is closed with
        // 4001 and its token, which node 3 had cached as live, is refused there at once; bob's other device keeps its socket.
        var phoneOnNode1 = new LimeHttpClient(cluster.Http(0)) { AccessToken = bobPhone.AccessToken };
        var phoneOnNode3 = new LimeHttpClient(cluster.Http(2)) { AccessToken = bobPhone.AccessToken };
        Assert.Equal(bob.User.Id, (await phoneOnNode3.GetMeAsync().Within()).Id);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await phoneOnNode1.LogoutAsync().Within();
        await bobOnNode3.Completion.Within();
        TestContext.Current.TestOutputHelper?.WriteLine($"logout on node 1 -> socket on node 3 closed after {clock.Elapsed.TotalMilliseconds:F0} ms (stated bound 1 s)");
        Assert.Equal((CloseCodes.SessionRevoked, "logged_out"), (bobOnNode3.CloseCode, bobOnNode3.CloseDescription));
        var refused = await Assert.ThrowsAsync<LimeApiException>(() => phoneOnNode3.GetMeAsync().Within());
        Assert.Equal((401, ErrorCodes.Unauthenticated), (refused.Status, refused.Code));
        await bobOnNode2.PingAsync().Within();
        Assert.Null(bobOnNode2.CloseCode);

        // Discovery: every node is registered and the pick is one of them.
        using var http = cluster.Http(0);
        string nodes = await http.GetStringAsync("api/nodes");
        foreach (var node in cluster.Nodes)
        {
            Assert.Contains(node.BaseAddress.ToString().TrimEnd('/'), nodes, StringComparison.Ordinal);
        }
    }
}

[CollectionDefinition("cluster", DisableParallelization = true)]
public sealed class ClusterTestGroup;
