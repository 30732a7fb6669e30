using System.Diagnostics;
using Lime.Protocol;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// group: --rooms groups of --members members (distinct users), the first --senders members of each sending, open
/// loop at --rate msgs/s in total. Reports deliveries/s (copies to other members) and per-copy send→deliver latency;
/// fails (exit 1) unless every acked message reached every member exactly once, in seq order.
/// </summary>
internal static class GroupScenario
{
    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        var progress = new ProgressLine(console);
        await using var load = await progress.RunAsync(() => SetUpAsync(o, nodes, progress, ct));
        progress.Log($"group: {o.Rate:F0} msg/s offered over {o.Rooms} rooms × {o.Senders} senders, {o.Members} members each, for {o.DurationSeconds} s after {o.WarmupSeconds} s warm-up");
        var result = await progress.RunAsync(() => load.RunAsync("group", o.Rate, progress, ct));
        return LoadReport.Finish(console, o, result, load, $"{o.Rooms} groups × {o.Members} members, {o.Senders} senders each", json =>
        {
            json.WriteNumber("rooms", o.Rooms);
            json.WriteNumber("members", o.Members);
            json.WriteNumber("senders_per_room", o.Senders);
            json.WriteNumber("users", load.Users);
        });
    }

    private static async Task<RoomLoad> SetUpAsync(BenchOptions o, Nodes nodes, ProgressLine progress, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        string tag = Population.NewTag();
        int total = o.Rooms * o.Members;
        progress.Set($"setup: registering {total} users");
        var users = await Population.RegisterAsync(nodes, tag, total, ct);
        progress.Set($"setup: creating {o.Rooms} groups");
        var memberLists = Enumerable.Range(0, o.Rooms).Select(r => users.AsSpan(r * o.Members, o.Members).ToArray()).ToArray();
        RoomDto[] created = await Population.CreateRoomsAsync(RoomKinds.Group, tag, memberLists, ct);
        var rooms = created.Select((dto, r) => new LoadRoom(r, dto.Id, RoomKind.Group, Enumerable.Range(r * o.Members, o.Members).ToArray(), dto.LastSeq)).ToArray();
        double weight = 1.0 / (o.Rooms * o.Senders);
        var senders = rooms.SelectMany(room => room.Members.Take(o.Senders).Select(u => new LoadSender(u, room, weight))).ToArray();
        var load = await RoomLoad.ConnectAsync(o, users, rooms, senders, progress, ct);
        progress.Log($"setup: {total} users, {o.Rooms} groups of {o.Members}, {total} sockets in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return load;
    }
}
