using Spectre.Console;

namespace Lime.Bench;

/// <summary>Advice printed when a run shows a typical set-up mistake.</summary>
internal static class Hints
{
    public static void RateLimited(IAnsiConsole console) => console.MarkupLine(
        "[yellow]hint:[/] the server answered [bold]rate_limited[/]: it runs with its default per-user send limit (20/s) "
        + "or registrations per address (20/hour). "
        + "Benchmark a server started with raised limits: [bold]tools/Lime.Bench/run-server.sh[/] "
        + "(sets Lime__Limits__SendsPerSecond, Lime__Limits__SendBurst, Lime__Limits__RoomsPerHour, Lime__Realtime__MaxSocketsPerUser and the Lime__Auth__*PerAddress* throttles to 1000000).");

    public static void Unreachable(IAnsiConsole console, IEnumerable<Uri> urls, Exception e) => console.MarkupLine(
        "[red]cannot reach the server[/] at " + Markup.Escape(string.Join(", ", urls)) + ": " + Markup.Escape(e.Message)
        + "\nStart one with [bold]tools/Lime.Bench/run-server.sh[/] (stop it with [bold]tools/Lime.Bench/run-server.sh stop[/]).");
}
