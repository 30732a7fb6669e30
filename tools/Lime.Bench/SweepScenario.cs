using System.Globalization;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// sweep: dm at increasing rates on one set of users and sockets, until p99 send→deliver exceeds --bound-ms or
/// errors or loss appear; reports the highest passing rate. Exit 1 when nothing passed or when a step showed a
/// correctness bug: duplicates, reordering, or loss while every socket stayed connected (a dropped slow consumer
/// is expected to lose live events and recover from history; a silent drop is not).
/// </summary>
internal static class SweepScenario
{
    private const int MaxSteps = 200;

    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        var progress = new ProgressLine(console);
        await using var load = await progress.RunAsync(() => DmScenario.SetUpAsync(o, nodes, progress, ct));
        var steps = new List<(LoadResult Result, string? Failure)>();
        bool bug = false;
        double? best = null;
        foreach (double rate in Rates(o))
        {
            if (ct.IsCancellationRequested)
            {
                break;
            }

            var r = await progress.RunAsync(() => load.RunAsync("sweep", rate, progress, ct));
            string? failure = Judge(r, o.BoundMs);
            bool silentLoss = r.Lost > 0 && !r.Errors.Keys.Any(k => k.StartsWith("socket_", StringComparison.Ordinal));
            bug |= r.Duplicates > 0 || r.OutOfOrder > 0 || silentLoss;
            steps.Add((r, failure));
            progress.Log(string.Create(CultureInfo.InvariantCulture,
                $"sweep {rate:F0} msg/s: achieved {r.AchievedRate:F0}, ack p99 {r.Ack.P99:F2} ms, deliver p99 {r.Deliver.P99:F2} ms, errors {r.ErrorCount}, lost {r.Lost}, server {r.Cpu.ServerMicrosPer(r.Acked):F0} µs/msg, load {r.Cpu.Machine?.Load1End:F2}, steal {r.Cpu.Machine?.StealPercent:F2} % -> {failure ?? "pass"}"));
            if (o.Json)
            {
                Console.Out.WriteLine(r.ToJson(json =>
                {
                    json.WriteNumber("users", load.Users);
                    json.WriteNumber("step", steps.Count);
                    json.WriteNumber("bound_ms", o.BoundMs);
                    json.WriteBoolean("pass", failure is null);
                    if (failure is not null)
                    {
                        json.WriteString("failure", failure);
                    }
                }));
            }

            if (failure is not null)
            {
                break;
            }

            best = rate;
        }

        Report.Sweep(console, steps, o.BoundMs);
        if (load.SawRateLimit)
        {
            Hints.RateLimited(console);
        }

        string? stop = steps.Count > 0 ? steps[^1].Failure : null;
        console.MarkupLine(best is { } b
            ? $"highest passing rate: [bold]{b:F0} msg/s[/] (p99 send → deliver ≤ {o.BoundMs} ms, no errors, no loss)" + (stop is null ? " — the sweep reached --to" : "")
            : "[red]no rate passed[/]");
        if (o.Json)
        {
            Console.Out.WriteLine(Summary(best, o.BoundMs, stop, steps.Count));
        }

        if (bug)
        {
            console.MarkupLine("[red bold]FAILED[/]: duplicates, reordering or silent loss (see the table)");
        }

        return bug || best is null ? 1 : 0;
    }

    private static IEnumerable<double> Rates(BenchOptions o)
    {
        double rate = o.From;
        for (int i = 0; i < MaxSteps && rate <= o.To * 1.000001; i++)
        {
            yield return rate;
            rate = o.Step is { } step ? rate + step : rate * o.Factor;
        }
    }

    private static string? Judge(LoadResult r, double boundMs)
    {
        if (r.Lost > 0 || r.Duplicates > 0 || r.OutOfOrder > 0)
        {
            return "loss/dup/order";
        }

        if (r.ErrorCount > 0)
        {
            return "errors";
        }

        if (r.Deliver.Count == 0)
        {
            return "nothing delivered";
        }

        return r.Deliver.P99 > boundMs ? string.Create(CultureInfo.InvariantCulture, $"p99 {r.Deliver.P99:F1} ms > {boundMs} ms") : null;
    }

    private static string Summary(double? best, double boundMs, string? stop, int steps)
    {
        return JsonLine.Write(json =>
        {
            json.WriteString("scenario", "sweep_summary");
            json.WriteNumber("bound_ms", boundMs);
            if (best is { } b)
            {
                json.WriteNumber("max_passing_rate", Math.Round(b, 1));
            }
            else
            {
                json.WriteNull("max_passing_rate");
            }

            json.WriteString("stop_reason", stop ?? "reached --to");
            json.WriteNumber("steps", steps);
        });
    }
}
