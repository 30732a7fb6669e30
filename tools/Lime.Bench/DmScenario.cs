using Spectre.Console;

namespace Lime.Bench;

/// <summary>dm: one open-loop run at --rate; fails (exit 1) if any acked message was lost, duplicated or reordered.</summary>
internal static class DmScenario
{
    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        var progress = new ProgressLine(console);
        await using var load = await progress.RunAsync(() => DmLoad.SetUpAsync(o, nodes, progress, ct));
        progress.Log($"dm: {o.Rate:F0} msg/s offered over {o.Users} senders for {o.DurationSeconds} s after {o.WarmupSeconds} s warm-up, {o.MessageBytes}-byte texts, seed {o.Seed}");
        var result = await progress.RunAsync(() => load.RunAsync("dm", o.Rate, progress, ct));
        Report.Dm(console, result, load.Users);
        if (load.SawRateLimit)
        {
            Hints.RateLimited(console);
        }

        if (o.Json)
        {
            Console.Out.WriteLine(result.ToJson(json => json.WriteNumber("users", load.Users)));
        }

        if (!result.Correct)
        {
            console.MarkupLine($"[red bold]FAILED[/]: lost {result.Lost}, duplicates {result.Duplicates}, out of order {result.OutOfOrder}");
            return 1;
        }

        console.MarkupLine("[green]correct[/]: every acked message reached its peer exactly once, in seq order");
        if (result.ErrorCount > 0)
        {
            console.MarkupLine($"[yellow]but {result.ErrorCount} of {result.Sent} measured sends failed or went unanswered[/] (see errors above)");
        }

        return 0;
    }
}
