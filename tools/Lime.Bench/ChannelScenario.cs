using System.Diagnostics;
using Lime.Protocol;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// channel: one open channel of --members members. The first user creates it, the others join it concurrently
/// (POST /api/rooms/{id}/join) before any socket is open, so set-up fans nothing out. The first --senders members
/// send at a low --rate; every member's socket receives every message. Same checks as group.
/// </summary>
internal static class ChannelScenario
{
    private const int JoinConcurrency = 64;

    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        var progress = new ProgressLine(console);
        await using var load = await progress.RunAsync(() => SetUpAsync(o, nodes, progress, ct));
        progress.Log($"channel: {o.Rate:F0} msg/s offered by {o.Senders} senders to {o.Members} members for {o.DurationSeconds} s after {o.WarmupSeconds} s warm-up");
        var result = await progress.RunAsync(() => load.RunAsync("channel", o.Rate, progress, ct));
        return LoadReport.Finish(console, o, result, load, $"1 channel × {o.Members} members, {o.Senders} senders", json =>
        {
            json.WriteNumber("rooms", 1);
            json.WriteNumber("members", o.Members);
            json.WriteNumber("senders_per_room", o.Senders);
            json.WriteNumber("users", load.Users);
        });
    }

    private static async Task<RoomLoad> SetUpAsync(BenchOptions o, Nodes nodes, ProgressLine progress, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        string tag = Population.NewTag();
        progress.Set($"setup: registering {o.Members} users");
        var users = await Population.RegisterAsync(nodes, tag, o.Members, ct, JoinConcurrency);
        double registered = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var channel = (await Population.CreateRoomsAsync(RoomKinds.Channel, tag, [[users[0]]], ct))[0];
        progress.Set($"setup: {o.Members - 1} users joining channel {channel.Id}");
        await Population.JoinAsync(users[1..], channel.Id, ct, JoinConcurrency);
        double joined = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = await users[0].Http.GetRoomAsync(channel.Id, ct);
        var room = new LoadRoom(0, channel.Id, RoomKind.Channel, Enumerable.Range(0, o.Members).ToArray(), after.LastSeq);
        var senders = Enumerable.Range(0, o.Senders).Select(u => new LoadSender(u, room, 1.0 / o.Senders)).ToArray();
        var load = await RoomLoad.ConnectAsync(o, users, [room], senders, progress, ct);
        progress.Log($"setup: {o.Members} users registered in {registered:F1} s, joined by {joined:F1} s, {after.MemberCount} members, {o.Members} sockets by {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        return load;
    }
}
