using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Lime.Client;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// connections: --connections idle authenticated sockets (one user each), opened in --steps. At each step, after
/// --settle seconds, the server's VmRSS is sampled five times (median kept); the least-squares slope of RSS over
/// the connection count is the server's memory per idle connection. The sockets then stay open for --hold seconds
/// with only their heartbeats: the check is that none is closed (the idle timeout must not fire). Exit 1 if a
/// connection failed or dropped.
/// </summary>
internal static class ConnectionsScenario
{
    private const int ConnectConcurrency = 64;
    private const int RssSamples = 5;
    private const int FilesBesidesSockets = 200;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        int pid = ServerProcess.Resolve(o);
        if (!CheckFileLimits(console, o, pid))
        {
            return 2;
        }

        var progress = new ProgressLine(console);
        using var sources = new SourceAddresses(o.Sources);
        var sockets = new LimeSocket?[o.Connections];
        try
        {
            var result = await progress.RunAsync(() => RunCoreAsync(o, nodes, pid, sources, sockets, progress, ct));
            Print(console, result);
            if (o.Json)
            {
                Console.Out.WriteLine(result.ToJson());
            }

            if (result.FailedConnects > 0 || result.Dropped > 0)
            {
                console.MarkupLine($"[red bold]FAILED[/]: {result.FailedConnects} connections could not be opened, {result.Dropped} dropped while idle");
                return 1;
            }

            console.MarkupLine($"[green]ok[/]: {result.Opened} idle connections stayed open for {o.HoldSeconds:F0} s on heartbeats alone");
            return 0;
        }
        finally
        {
            progress.Log("closing connections");
            await Population.CloseAllAsync(sockets.OfType<LimeSocket>());
        }
    }

    private static async Task<ConnectionsResult> RunCoreAsync(
        BenchOptions o, Nodes nodes, int pid, SourceAddresses sources, LimeSocket?[] sockets, ProgressLine progress, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        progress.Set($"setup: registering {o.Connections} users");
        var users = await Population.RegisterAsync(nodes, Population.NewTag(), o.Connections, ct, ConnectConcurrency);
        double registerSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        progress.Log(string.Create(CultureInfo.InvariantCulture,
            $"setup: {o.Connections} users registered in {registerSeconds:F1} s; server PID {pid}, {sources.Count} source address(es)"));

        var machineStart = MachineLoad.Read();
        var points = new List<(int Connections, long Rss)>();
        int open = 0;
        long failed = 0;
        double connectSeconds = 0;
        foreach (int target in o.Steps)
        {
            if (target > open)
            {
                progress.Set($"connecting {open} → {target}");
                long t0 = Stopwatch.GetTimestamp();
                int from = open;
                await Parallel.ForEachAsync(Enumerable.Range(from, target - from), new ParallelOptions { MaxDegreeOfParallelism = ConnectConcurrency, CancellationToken = ct }, async (i, token) =>
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                    timeout.CancelAfter(ConnectTimeout);
                    try
                    {
                        sockets[i] = await users[i].ConnectAsync(timeout.Token, new LimeSocketOptions { Connector = sources.For(i) });
                    }
                    catch (Exception e) when (e is WebSocketException or LimeSocketException or HttpRequestException or IOException
                        || (e is OperationCanceledException && !token.IsCancellationRequested))
                    {
                        Interlocked.Increment(ref failed);
                    }
                });
                connectSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                open = target;
            }

            progress.Set($"{target} connections: settling {o.SettleSeconds:F0} s, then sampling RSS");
            await Task.Delay(TimeSpan.FromSeconds(o.SettleSeconds), ct);
            long rss = await MedianRssAsync(pid, ct);
            int live = sockets.Take(open).Count(s => s is not null && !s.Completion.IsCompleted);
            points.Add((live, rss));
            progress.Log(string.Create(CultureInfo.InvariantCulture, $"{live} connections open: server RSS {rss / 1048576.0:F1} MiB"));
        }

        progress.Set($"holding {open} idle connections for {o.HoldSeconds:F0} s (heartbeats only)");
        await Task.Delay(TimeSpan.FromSeconds(o.HoldSeconds), ct);
        long rssAfterHold = await MedianRssAsync(pid, ct);
        int alive = sockets.Count(s => s is not null && !s.Completion.IsCompleted);
        int opened = sockets.Count(s => s is not null);
        var (slope, intercept, r2) = Fit(points);
        return new ConnectionsResult(
            o.Connections, opened, failed, opened - alive, sources.Count, points, slope, intercept, r2, rssAfterHold, o.HoldSeconds,
            registerSeconds, connectSeconds > 0 ? opened / connectSeconds : 0)
        {
            Machine = MachineLoad.Between(machineStart, MachineLoad.Read()),
        };
    }

    private static async Task<long> MedianRssAsync(int pid, CancellationToken ct)
    {
        var samples = new long[RssSamples];
        for (int i = 0; i < RssSamples; i++)
        {
            if (i > 0)
            {
                await Task.Delay(1000, ct);
            }

            samples[i] = ServerProcess.RssBytes(pid);
        }

        Array.Sort(samples);
        return samples[RssSamples / 2];
    }

    /// <summary>Least squares: RSS = intercept + slope × connections; r² says how straight the line is.</summary>
    private static (double Slope, double Intercept, double R2) Fit(List<(int Connections, long Rss)> points)
    {
        if (points.Count < 2)
        {
            return (0, points.Count == 1 ? points[0].Rss : 0, 0);
        }

        double mx = points.Average(p => (double)p.Connections), my = points.Average(p => (double)p.Rss);
        double sxy = points.Sum(p => (p.Connections - mx) * (p.Rss - my));
        double sxx = points.Sum(p => (p.Connections - mx) * (p.Connections - mx));
        double syy = points.Sum(p => (p.Rss - my) * (p.Rss - my));
        if (sxx == 0)
        {
            return (0, my, 0);
        }

        double slope = sxy / sxx;
        return (slope, my - (slope * mx), syy == 0 ? 1 : sxy * sxy / (sxx * syy));
    }

    private static bool CheckFileLimits(IAnsiConsole console, BenchOptions o, int pid)
    {
        bool ok = true;
        long need = (long)o.Connections + FilesBesidesSockets;
        if (ServerProcess.OpenFileLimit("self") is { } mine && mine < need)
        {
            console.MarkupLine($"[red]The bench may open only {mine} files[/] but needs about {need} for {o.Connections} connections: run [bold]ulimit -n {need}[/] (up to the hard limit, [bold]ulimit -Hn[/]) in this shell first, or lower --connections.");
            ok = false;
        }

        if (ServerProcess.OpenFileLimit(pid.ToString(CultureInfo.InvariantCulture)) is { } theirs && theirs < need)
        {
            console.MarkupLine($"[red]The server (PID {pid}) may open only {theirs} files[/] but needs about {need}: restart it with tools/Lime.Bench/run-server.sh (it raises the limit to the hard limit), or lower --connections.");
            ok = false;
        }

        return ok;
    }

    private static void Print(IAnsiConsole console, ConnectionsResult r)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]connections[/]: server RSS by open idle connections ({r.Sources} source address(es))");
        table.AddColumn(new TableColumn("connections").RightAligned()).AddColumn(new TableColumn("RSS MiB").RightAligned()).AddColumn(new TableColumn("fit MiB").RightAligned());
        foreach (var (n, rss) in r.Points)
        {
            table.AddRow(N(n), (rss / 1048576.0).ToString("F1", CultureInfo.InvariantCulture), ((r.InterceptBytes + (r.BytesPerConnection * n)) / 1048576.0).ToString("F1", CultureInfo.InvariantCulture));
        }

        table.Caption(string.Create(CultureInfo.InvariantCulture,
            $"slope {r.BytesPerConnection / 1024:F2} KiB ({r.BytesPerConnection:F0} B) per connection, r² {r.R2:F4}; RSS after {r.HoldSeconds:F0} s hold {r.RssAfterHoldBytes / 1048576.0:F1} MiB"));
        console.Write(table);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"opened {r.Opened:N0} of {r.Requested:N0}, failed {r.FailedConnects}, dropped while idle {r.Dropped}; connect rate {r.ConnectsPerSecond:F0}/s, registration {r.RegisterSeconds:F1} s"));
        if (r.Machine is { } machine)
        {
            console.MarkupLine("machine from the first connection to the end of the hold: " + Markup.Escape(machine.Describe()));
        }
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
