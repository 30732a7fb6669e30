using System.Diagnostics;
using System.Globalization;
using Lime.Client;
using Lime.Tests.Infrastructure;
using Npgsql;

namespace Lime.Tests.Cluster;

/// <summary>
/// Room ownership (docs/operations.md, "Room ownership") in the production topology, all real processes: three
/// nodes with internal URLs, PostgreSQL primary + synchronous standby, Redis. Each room is written by the node
/// holding its partition's lease; the others forward. Faults hit an owner while chat runs, and every send is checked
/// as in <see cref="FaultTests"/>: lost = acknowledged but absent from the primary, the standby or a member's
/// timeline; duplicates = one client_msg_id or id twice; timelines gap-free and identical. Figures are printed, never
/// asserted. Every loop is bounded in count and time.
/// </summary>
[Collection("cluster")]
public sealed class OwnershipFaultTests(ITestOutputHelper output)
{
    private const int Partitions = 64; // the default
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(45);

    [ClusterFact]
    public async Task Two_members_on_two_nodes_send_two_thousand_each_into_one_room_one_gap_free_order_every_ack_on_the_standby()
    {
        await using var cluster = await LimeCluster.StartAsync(nodes: 3);
        await WaitForBalanceAsync(cluster, 3);
        await using var load = await ChatLoad.StartAsync(cluster, rooms: 1, membersPerRoom: 2); // member k on node k
        var checker = await AckChecker.StartAsync(() => cluster.PrimaryConnectionString, () => cluster.StandbyConnectionString);
        load.OnAck = checker.Add;
        long room = load.Rooms[0];
        int owner = (await OwnersAsync(cluster))[(int)(room % Partitions)];

        var clock = Stopwatch.StartNew();
        const int perMember = 2000;
        await Task.WhenAll(load.Devices.Select(d => Task.Run(async () =>
        {
            for (int i = 0; i < perMember && clock.Elapsed < TimeSpan.FromMinutes(3); i++)
            {
                for (int spin = 0; d.InFlight >= 64 && spin < 60_000; spin++)
                {
                    await Task.Delay(1);
                }

                load.Send(d);
            }
        })));
        await load.DrainAsync(Drain);
        var sent = clock.Elapsed;
        await checker.DisposeAsync();
        var converged = await load.WaitForTimelinesAsync(cluster.PrimaryConnectionString, TimeSpan.FromSeconds(30));
        var problems = await load.VerifyAsync(Stores(cluster));
        var events = await LimeCluster.EventsAsync(cluster.PrimaryConnectionString, room);

        output.WriteLine($"room {room} owned by node {owner}; members on nodes 1 and 2; {load.Count(SendOutcome.Acked)} of {load.Sends.Count} acked in {sent.TotalSeconds:F1} s " +
            $"({load.Count(SendOutcome.Acked) / sent.TotalSeconds:F0} msg/s); ack checks {checker.Checked}, longest replay wait {checker.LongestReplayWait.TotalMilliseconds:F0} ms");
        Assert.Equal(2 * perMember, load.Sends.Count);
        Assert.Equal(2 * perMember, load.Count(SendOutcome.Acked));
        Assert.Empty(checker.Problems);
        Assert.Equal(0, checker.Unchecked);
        Assert.Empty(problems);
        Assert.NotNull(converged);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.Equal(2 * perMember, events.Count(e => e.ClientMsgId?.StartsWith('m') == true));
    }

    [ClusterFact]
    public async Task Killing_the_owner_of_fifty_busy_rooms_loses_nothing_acked_and_its_rooms_write_again_from_another_node()
    {
        await using var cluster = await LimeCluster.StartAsync(nodes: 3);
        await WaitForBalanceAsync(cluster, 3);
        // Members on nodes 1 and 2 only; node 3 owns about a third of the rooms and has no clients: its death is an owner's.
        await using var load = await ChatLoad.StartAsync(cluster, rooms: 150, membersPerRoom: 2);
        var checker = await AckChecker.StartAsync(() => cluster.PrimaryConnectionString, () => cluster.StandbyConnectionString);
        load.OnAck = checker.Add;

        var started = DateTime.UtcNow;
        var run = load.RunAsync(1000, TimeSpan.FromSeconds(20), maxInFlight: 16);
        await Task.Delay(TimeSpan.FromSeconds(8));
        var owners = await OwnersAsync(cluster);
        var victimRooms = load.Rooms.Where(r => owners[(int)(r % Partitions)] == 3).ToHashSet();
        var killedAt = DateTime.UtcNow;
        await cluster.Nodes[2].KillAsync();
        var rebalance = Stopwatch.StartNew();
        await WaitForBalanceAsync(cluster, 2);
        var reowned = rebalance.Elapsed;

        await run.Within(TimeSpan.FromSeconds(60));
        var ended = DateTime.UtcNow;
        await load.DrainAsync(Drain);
        await checker.DisposeAsync();
        var converged = await load.WaitForTimelinesAsync(cluster.PrimaryConnectionString, TimeSpan.FromSeconds(30));
        var problems = await load.VerifyAsync(Stores(cluster));

        // Per room of the dead owner: from the kill to the first ack of a send started after it.
        var gaps = victimRooms
            .Select(r => load.Sends.Where(s => s.Room == r && s.StartedAt >= killedAt && s.AckedAt is not null).Select(s => (s.AckedAt!.Value - killedAt).TotalMilliseconds).DefaultIfEmpty(double.NaN).Min())
            .ToList();
        var written = gaps.Where(g => !double.IsNaN(g)).Order().ToList();
        Report(load, "kill -9 of the owner node 3", started, ended);
        output.WriteLine($"node 3 owned {victimRooms.Count} of {load.Rooms.Count} busy rooms; all {Partitions} partitions owned by nodes 1-2 again {reowned.TotalMilliseconds:F0} ms after the kill");
        output.WriteLine($"kill -> first ack in each of its rooms: p50 {Percentile(written, 50):F0} ms, p99 {Percentile(written, 99):F0} ms, max {written.DefaultIfEmpty(double.NaN).Max():F0} ms ({written.Count} rooms wrote again)");

        Assert.True(victimRooms.Count >= 30, $"node 3 owned only {victimRooms.Count} rooms");
        Assert.Equal(victimRooms.Count, written.Count);
        Assert.Empty(checker.Problems);
        Assert.Empty(problems);
        Assert.NotNull(converged);
        Assert.Equal(0, load.Count(SendOutcome.Failed));
        Assert.Equal(0, load.Count(SendOutcome.Unknown));
    }

    [ClusterFact]
    public async Task An_owner_frozen_for_ten_seconds_never_yields_two_writers_or_a_wrong_ack()
    {
        await using var cluster = await LimeCluster.StartAsync(nodes: 3);
        await WaitForBalanceAsync(cluster, 3);
        await using var load = await ChatLoad.StartAsync(cluster, rooms: 60, membersPerRoom: 2);
        var checker = await AckChecker.StartAsync(() => cluster.PrimaryConnectionString, () => cluster.StandbyConnectionString);
        load.OnAck = checker.Add;

        var started = DateTime.UtcNow;
        var run = load.RunAsync(400, TimeSpan.FromSeconds(25), maxInFlight: 16);
        await Task.Delay(TimeSpan.FromSeconds(6));
        var owners = await OwnersAsync(cluster);
        var frozenRooms = load.Rooms.Where(r => owners[(int)(r % Partitions)] == 3).ToHashSet();
        var stoppedAt = DateTime.UtcNow;
        await cluster.Nodes[2].SignalAsync("STOP");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await cluster.Nodes[2].SignalAsync("CONT");
        }

        var resumedAt = DateTime.UtcNow;
        await run.Within(TimeSpan.FromSeconds(60));
        var ended = DateTime.UtcNow;
        await load.DrainAsync(Drain);
        await checker.DisposeAsync();
        var converged = await load.WaitForTimelinesAsync(cluster.PrimaryConnectionString, TimeSpan.FromSeconds(30));
        var problems = await load.VerifyAsync(Stores(cluster));

        var late = load.Sends.Where(s => frozenRooms.Contains(s.Room) && s.StartedAt >= stoppedAt && s.StartedAt < resumedAt && s.AckedAt is not null).ToList();
        Report(load, "SIGSTOP of the owner node 3 for 10 s", started, ended);
        output.WriteLine($"node 3 owned {frozenRooms.Count} rooms; {late.Count} sends to them started while it was frozen, acked " +
            $"{(late.Count == 0 ? "-" : $"{late.Min(s => (s.AckedAt!.Value - resumedAt).TotalMilliseconds):F0} to {late.Max(s => (s.AckedAt!.Value - resumedAt).TotalMilliseconds):F0} ms")} after SIGCONT");

        Assert.NotEmpty(frozenRooms);
        Assert.Empty(checker.Problems);
        Assert.Empty(problems); // seqs unique and gap-free in both stores, every ack matches the stored (seq, id)
        Assert.NotNull(converged);
        Assert.Equal(0, load.Count(SendOutcome.Failed));
        Assert.Equal(0, load.Count(SendOutcome.Unknown));
    }

    [ClusterFact]
    public async Task A_sigterm_drain_under_load_hands_the_rooms_over_with_no_error_but_documented_retries()
    {
        // The leases' information lines (partitions taken and let go) in the node's output.
        await using var cluster = await LimeCluster.StartAsync(nodes: 3, new Dictionary<string, string> { ["Logging__LogLevel__Lime.Server.Cluster"] = "Information" });
        await WaitForBalanceAsync(cluster, 3);
        await using var load = await ChatLoad.StartAsync(cluster, rooms: 60, membersPerRoom: 2);
        var checker = await AckChecker.StartAsync(() => cluster.PrimaryConnectionString, () => cluster.StandbyConnectionString);
        load.OnAck = checker.Add;

        var started = DateTime.UtcNow;
        var run = load.RunAsync(400, TimeSpan.FromSeconds(20), maxInFlight: 16);
        await Task.Delay(TimeSpan.FromSeconds(6));
        var drain = Stopwatch.StartNew();
        await cluster.Nodes[2].StopAsync();
        var exited = drain.Elapsed;
        await WaitForBalanceAsync(cluster, 2);
        var reowned = drain.Elapsed;

        await run.Within(TimeSpan.FromSeconds(60));
        var ended = DateTime.UtcNow;
        await load.DrainAsync(Drain);
        await checker.DisposeAsync();
        var converged = await load.WaitForTimelinesAsync(cluster.PrimaryConnectionString, TimeSpan.FromSeconds(30));
        var problems = await load.VerifyAsync(Stores(cluster));

        Report(load, "SIGTERM of node 3", started, ended);
        output.WriteLine($"node 3 exited {exited.TotalMilliseconds:F0} ms after SIGTERM; nodes 1-2 owned all {Partitions} partitions {reowned.TotalMilliseconds:F0} ms after it");

        Assert.Contains(cluster.Nodes[2].Output, l => l.Contains("room partitions go: holding 0 of 64", StringComparison.Ordinal)); // it let them go itself
        Assert.Empty(checker.Problems);
        Assert.Empty(problems);
        Assert.NotNull(converged);
        Assert.Equal(0, load.Count(SendOutcome.Failed));
        Assert.Equal(0, load.Count(SendOutcome.Unknown));
    }

    /// <summary>Partition → owner node id, from the owner table.</summary>
    private static async Task<Dictionary<int, int>> OwnersAsync(LimeCluster cluster)
    {
        await using var connection = new NpgsqlConnection(cluster.PrimaryConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT partition, node_id FROM room_partitions WHERE node_id IS NOT NULL", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var owners = new Dictionary<int, int>();
        while (await reader.ReadAsync())
        {
            owners[reader.GetInt32(0)] = reader.GetInt32(1);
        }

        return owners;
    }

    /// <summary>
    /// Until every partition is held by one of <paramref name="nodes"/> live nodes and each holds ceil(P/N) or one
    /// fewer, as pg_locks (the truth) and the owner table both say (bounded: 30 s).
    /// </summary>
    private static async Task WaitForBalanceAsync(LimeCluster cluster, int nodes)
    {
        int target = (Partitions + nodes - 1) / nodes;
        var clock = Stopwatch.StartNew();
        string last = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await using var connection = new NpgsqlConnection(cluster.PrimaryConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT string_agg(n::text, ',' ORDER BY n), count(*) FROM (SELECT count(*) AS n FROM pg_locks l " +
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::int8 = 1279872325 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) " +
                "GROUP BY l.pid) held", connection);
            await using (var reader = await command.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                last = reader.IsDBNull(0) ? "" : reader.GetString(0);
            }

            var counts = last.Length == 0 ? [] : last.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList();
            var table = await OwnersAsync(cluster);
            if (counts.Count == nodes && counts.Sum() == Partitions && counts.All(c => c >= target - 1 && c <= target) && table.Count == Partitions)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Partitions not balanced over {nodes} nodes within 30 s (held per node: {last}).");
    }

    private static (string, string)[] Stores(LimeCluster cluster) =>
        [("primary", cluster.PrimaryConnectionString), ("standby", cluster.StandbyConnectionString)];

    private void Report(ChatLoad load, string phase, DateTime started, DateTime ended)
    {
        foreach (var (node, i) in load.Cluster.Nodes.Select((n, i) => (n, i)))
        {
            var notable = node.Output.Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal)).ToList();
            output.WriteLine($"node {i + 1}: {notable.Count} warnings/errors logged");
        }

        double seconds = (ended - started).TotalSeconds;
        output.WriteLine($"[{phase}] {load.Sends.Count} sends in {seconds:F1} s ({load.Sends.Count / seconds:F0}/s offered, {load.Throttled} not offered: in-flight limit): " +
            $"acked {load.Count(SendOutcome.Acked)}, failed {load.Count(SendOutcome.Failed)}, unknown {load.Count(SendOutcome.Unknown)}; {load.Devices.Count} devices in {load.Rooms.Count} rooms");
    }

    private static double Percentile(List<double> sorted, int p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
