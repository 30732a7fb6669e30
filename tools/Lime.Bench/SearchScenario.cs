using System.Diagnostics;
using System.Globalization;
using Lime.Client;
using Lime.Protocol;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// search: one user in --rooms groups (with one peer in each); the peer sends --messages messages spread over the
/// rooms (Korean and English chat, acked), the bench waits until the last one is findable (index lag), then the user
/// runs --iterations searches over the socket, one at a time, cycling through Korean, English, mixed and initials
/// queries (limit 20). Measured: search frame sent → reply received. Exit 1 if a query never finds anything.
/// </summary>
internal static class SearchScenario
{
    private const int SendWindow = 64;

    private static readonly string[] Words =
    [
        "회의", "회의록", "프로젝트", "일정", "배포", "서버", "점심", "보고서", "고객", "미팅", "리뷰", "테스트", "버그", "휴가", "출장",
        "meeting", "deploy", "release", "review", "server", "lunch", "roadmap", "budget", "standup", "ticket",
    ];

    private static readonly string[] Tails = ["는", "가", "를", "에서", "도", "", "", " 👍", " 🎉", " 확인 부탁드려요", " 공유드립니다", " please", " today"];

    private static readonly (string Q, string? Mode)[] Queries =
    [
        ("회의", null), ("배포 일정", null), ("프로젝트를", null), ("meet", null), ("deploy", null), ("서버 review", null),
        ("ㅎㅇ", "initials"), ("보고서", null), ("🎉", null), ("회의록", null),
    ];

    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        var rng = new Random(o.Seed);
        string tag = Population.NewTag();
        var users = await Population.RegisterAsync(nodes, tag, 2, ct);
        var (me, peer) = (users[0], users[1]);
        console.MarkupLine($"setup: {o.Rooms} groups of 2, {o.Messages} messages");
        var rooms = await Population.CreateRoomsAsync(RoomKinds.Group, tag, Enumerable.Range(0, o.Rooms).Select(_ => new[] { peer, me }).ToArray(), ct);
        await using var sender = await peer.ConnectAsync(ct);
        long sendStart = Stopwatch.GetTimestamp();
        using (var window = new SemaphoreSlim(SendWindow))
        {
            var sends = new List<Task>(o.Messages);
            for (int i = 0; i < o.Messages; i++)
            {
                await window.WaitAsync(ct);
                string text = $"{Words[rng.Next(Words.Length)]}{Tails[rng.Next(Tails.Length)]} {Words[rng.Next(Words.Length)]} {i}";
                long room = rooms[rng.Next(rooms.Length)].Id;
                sends.Add(SendAsync(sender, room, $"{tag}-{i}", text, window, ct));
            }

            await Task.WhenAll(sends);
        }

        double sendSeconds = Stopwatch.GetElapsedTime(sendStart).TotalSeconds;
        string marker = "zq" + tag;
        await sender.SendMessageAsync(rooms[0].Id, $"{tag}-marker", marker + " 마지막", ct: ct);
        long lagStart = Stopwatch.GetTimestamp();
        await using var socket = await me.ConnectAsync(ct);
        while ((await socket.SearchAsync(marker, ct: ct)).Hits.Length == 0)
        {
            if (Stopwatch.GetElapsedTime(lagStart) > TimeSpan.FromMinutes(30))
            {
                console.MarkupLine("[red bold]FAILED[/]: the last message never became findable");
                return 1;
            }

            await Task.Delay(5, ct);
        }

        double catchUpMs = Stopwatch.GetElapsedTime(lagStart).TotalMilliseconds;
        var perQuery = Queries.ToDictionary(q => q.Q, _ => new List<double>());
        var hitsPerQuery = Queries.ToDictionary(q => q.Q, _ => 0);
        var all = new List<double>(o.Iterations);
        for (int it = 0; it < o.Iterations && !ct.IsCancellationRequested; it++)
        {
            var (q, mode) = Queries[it % Queries.Length];
            long t0 = Stopwatch.GetTimestamp();
            var page = await socket.SearchAsync(q, mode, limit: 20, ct: ct);
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            all.Add(ms);
            perQuery[q].Add(ms);
            hitsPerQuery[q] = page.Hits.Length;
        }

        var table = new Table().AddColumns("query", "hits (page)", "p50 ms", "p99 ms");
        foreach (var (q, _) in Queries)
        {
            table.AddRow(Markup.Escape(q), hitsPerQuery[q].ToString(CultureInfo.InvariantCulture), Pct(perQuery[q], 0.50), Pct(perQuery[q], 0.99));
        }

        table.AddRow("[bold]all[/]", "", Pct(all, 0.50), Pct(all, 0.99));
        console.Write(table);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"indexed {o.Messages + 1} messages in {o.Rooms} rooms: sent in {sendSeconds:F1} s ({o.Messages / sendSeconds:F0} msgs/s), last one findable {catchUpMs:F0} ms after its ack"));
        if (o.Json)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"scenario\":\"search\",\"rooms\":{o.Rooms},\"messages\":{o.Messages},\"iterations\":{all.Count},\"p50_ms\":{Pct(all, 0.5)},\"p99_ms\":{Pct(all, 0.99)},\"send_rate\":{o.Messages / sendSeconds:F0},\"last_findable_ms\":{catchUpMs:F0}}}"));
        }

        if (hitsPerQuery.Values.Any(h => h == 0))
        {
            console.MarkupLine("[red bold]FAILED[/]: a query found nothing");
            return 1;
        }

        return 0;
    }

    private static async Task SendAsync(LimeSocket socket, long room, string clientMsgId, string text, SemaphoreSlim window, CancellationToken ct)
    {
        try
        {
            await socket.SendMessageAsync(room, clientMsgId, text, ct: ct);
        }
        finally
        {
            window.Release();
        }
    }

    private static string Pct(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return "-";
        }

        var sorted = values.Order().ToArray();
        return sorted[(int)(p * (sorted.Length - 1))].ToString("F2", CultureInfo.InvariantCulture);
    }
}
