using System.Diagnostics;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// dm: users in pairs, one direct room and one WebSocket each, both members sending at an equal share of --rate,
/// open loop. It runs on the room load like every fan-out scenario (a direct room is a room of two); fails (exit 1)
/// if any acked message was lost, duplicated or reordered for either member.
/// </summary>
internal static class DmScenario
{
    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        var progress = new ProgressLine(console);
        await using var load = await progress.RunAsync(() => SetUpAsync(o, nodes, progress, ct));
        progress.Log($"dm: {o.Rate:F0} msg/s offered over {o.Users} senders for {o.DurationSeconds} s after {o.WarmupSeconds} s warm-up, {o.MessageBytes}-byte texts, seed {o.Seed}");
        var result = await progress.RunAsync(() => load.RunAsync("dm", o.Rate, progress, ct));
        return LoadReport.Finish(console, o, result, load, $"{load.Users} users, {load.Users / 2} direct rooms",
            json => json.WriteNumber("users", load.Users));
    }

    /// <summary>
    /// Registers --users users, creates one direct room per pair (users 2p and 2p + 1) and connects every user, all
    /// concurrently. Both members of a pair send, each at rate / users; sweep reuses this load for every step.
    /// </summary>
    public static async Task<RoomLoad> SetUpAsync(BenchOptions o, Nodes nodes, ProgressLine progress, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        string tag = Population.NewTag();
        progress.Set($"setup: registering {o.Users} users");
        var users = await Population.RegisterAsync(nodes, tag, o.Users, ct);
        progress.Set($"setup: creating {o.Users / 2} direct rooms");
        var pairs = Enumerable.Range(0, users.Length / 2).Select(p => (users[2 * p], users[(2 * p) + 1])).ToArray();
        var created = await Population.CreateDirectRoomsAsync(pairs, ct);
        var rooms = created.Select((dto, p) => new LoadRoom(p, dto.Id, RoomKind.Dm, [2 * p, (2 * p) + 1], dto.LastSeq)).ToArray();
        double weight = 1.0 / users.Length;
        var senders = rooms.SelectMany(room => room.Members.Select(u => new LoadSender(u, room, weight))).ToArray();
        var load = await RoomLoad.ConnectAsync(o, users, rooms, senders, progress, ct);
        progress.Log($"setup: {users.Length} users, {rooms.Length} direct rooms, {users.Length} sockets on {nodes.Urls.Count} node(s) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return load;
    }
}
