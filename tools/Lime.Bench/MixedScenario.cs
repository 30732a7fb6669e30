using System.Diagnostics;
using System.Globalization;
using Lime.Protocol;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// mixed: a scaled-down day of the 50M-DAU profile (docs in README.md, "mixed"). Every user has --contacts direct
/// rooms (a ring: user i with i±1 … i±contacts/2) and is in --groups-per-user small groups on average (sizes 3-10,
/// 11-50, 51-100 drawn 60/30/10 %); --dm-share of the messages go to direct rooms (both members send), the rest to
/// groups (up to 5 senders each, equal rate per group). Every N-th message a user receives in rooms of a kind marks
/// that room read, and every N-th send is preceded by a typing frame. Same correctness checks as group, over every room.
/// </summary>
internal static class MixedScenario
{
    private const int MaxSendersPerGroup = 5;

    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        var progress = new ProgressLine(console);
        var (load, dmRooms, groups, meanGroup) = await progress.RunAsync(() => SetUpAsync(o, nodes, progress, ct));
        await using (load)
        {
            progress.Log(string.Create(CultureInfo.InvariantCulture,
                $"mixed: {o.Rate:F0} msg/s offered, {o.DmShare:P0} in {dmRooms} direct rooms, the rest in {groups} groups (mean size {meanGroup:F1}); read every {o.DmReadEvery} (dm) / {o.GroupReadEvery} (group) messages, typing every {o.TypingEvery} sends; {o.DurationSeconds} s after {o.WarmupSeconds} s warm-up"));
            var result = await progress.RunAsync(() => load.RunAsync("mixed", o.Rate, progress, ct));
            return LoadReport.Finish(console, o, result, load, $"{o.Users} users, {dmRooms} direct rooms, {groups} groups", json =>
            {
                json.WriteNumber("users", o.Users);
                json.WriteNumber("dm_rooms", dmRooms);
                json.WriteNumber("groups", groups);
                json.WriteNumber("mean_group_size", Math.Round(meanGroup, 1));
                json.WriteNumber("dm_share", o.DmShare);
                json.WriteNumber("signals_received", load.Signals);
            });
        }
    }

    private static async Task<(RoomLoad Load, int DmRooms, int Groups, double MeanGroup)> SetUpAsync(BenchOptions o, Nodes nodes, ProgressLine progress, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        string tag = Population.NewTag();
        var random = new Random(o.Seed);
        progress.Set($"setup: registering {o.Users} users");
        var users = await Population.RegisterAsync(nodes, tag, o.Users, ct);

        var pairs = new List<(int A, int B)>();
        for (int d = 1; d <= o.Contacts / 2; d++)
        {
            for (int i = 0; i < o.Users; i++)
            {
                int j = (i + d) % o.Users;
                if (d * 2 != o.Users || i < j) // with d = users/2, (i, j) and (j, i) are the same pair
                {
                    pairs.Add((i, j));
                }
            }
        }

        progress.Set($"setup: creating {pairs.Count} direct rooms");
        var direct = await Population.CreateDirectRoomsAsync(pairs.Select(p => (users[p.A], users[p.B])).ToArray(), ct);

        var memberLists = PlanGroups(o.Users, o.GroupsPerUser, random);
        progress.Set($"setup: creating {memberLists.Count} groups");
        var created = await Population.CreateRoomsAsync(RoomKinds.Group, tag, memberLists.Select(l => l.Select(u => users[u]).ToArray()).ToArray(), ct);

        var rooms = new List<LoadRoom>();
        var senders = new List<LoadSender>();
        double dmWeight = pairs.Count == 0 ? 0 : o.DmShare / (2.0 * pairs.Count);
        for (int p = 0; p < pairs.Count; p++)
        {
            var room = new LoadRoom(rooms.Count, direct[p].Id, RoomKind.Dm, [pairs[p].A, pairs[p].B], direct[p].LastSeq);
            rooms.Add(room);
            if (dmWeight > 0)
            {
                senders.Add(new LoadSender(pairs[p].A, room, dmWeight));
                senders.Add(new LoadSender(pairs[p].B, room, dmWeight));
            }
        }

        double groupWeight = memberLists.Count == 0 ? 0 : (1 - o.DmShare) / memberLists.Count;
        for (int g = 0; g < memberLists.Count; g++)
        {
            var room = new LoadRoom(rooms.Count, created[g].Id, RoomKind.Group, memberLists[g], created[g].LastSeq);
            rooms.Add(room);
            int k = Math.Min(MaxSendersPerGroup, room.Members.Length);
            if (groupWeight > 0)
            {
                senders.AddRange(room.Members.Take(k).Select(u => new LoadSender(u, room, groupWeight / k)));
            }
        }

        if (senders.Count == 0)
        {
            throw new UsageException("mixed has no senders: give --contacts ≥ 2 or --groups-per-user ≥ 1.");
        }

        var load = await RoomLoad.ConnectAsync(o, users, [.. rooms], [.. senders], progress, ct, o.DmReadEvery, o.GroupReadEvery, o.TypingEvery);
        double meanGroup = memberLists.Count == 0 ? 0 : memberLists.Average(l => l.Length);
        progress.Log(string.Create(CultureInfo.InvariantCulture,
            $"setup: {o.Users} users, {pairs.Count} direct rooms, {memberLists.Count} groups (mean {meanGroup:F1} members), {o.Users} sockets in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
        return (load, pairs.Count, memberLists.Count, meanGroup);
    }

    /// <summary>
    /// Groups as lists of user indices: per pass every user lands in exactly one group, so each user is in
    /// <paramref name="passes"/> groups; sizes 3-10 (60 %), 11-50 (30 %), 51-100 (10 %). A pass's short remainder
    /// joins its last group.
    /// </summary>
    private static List<int[]> PlanGroups(int users, int passes, Random random)
    {
        var groups = new List<int[]>();
        var order = Enumerable.Range(0, users).ToArray();
        for (int pass = 0; pass < passes; pass++)
        {
            random.Shuffle(order);
            int at = 0;
            int first = groups.Count;
            while (at < users)
            {
                double bucket = random.NextDouble();
                int size = bucket < 0.6 ? random.Next(3, 11) : bucket < 0.9 ? random.Next(11, 51) : random.Next(51, 101);
                size = Math.Min(size, users - at);
                if (size < 3 && groups.Count > first && groups[^1].Length + size <= 100)
                {
                    groups[^1] = [.. groups[^1], .. order.AsSpan(at, size).ToArray()];
                }
                else
                {
                    groups.Add(order.AsSpan(at, size).ToArray());
                }

                at += size;
            }
        }

        return groups.Where(g => g.Length >= 2).ToList();
    }
}
