using System.Globalization;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>Human-readable result tables of sweep and catchup (Spectre.Console); a single load run is <see cref="LoadReport"/>.</summary>
internal static class Report
{
    public static void Sweep(IAnsiConsole console, IReadOnlyList<(LoadResult Result, string? Failure)> steps, double boundMs)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]sweep[/]: p99 send → deliver bound {boundMs} ms");
        table.AddColumn("offered/s").AddColumn("acked/s").AddColumn("ack p50").AddColumn("ack p99")
            .AddColumn("dlv p50").AddColumn("dlv p99").AddColumn("dlv max").AddColumn("errors").AddColumn("lost")
            .AddColumn("srv µs/msg").AddColumn("load").AddColumn("steal %").AddColumn("result");
        table.Caption("latencies in ms from the scheduled send time; dlv = send → deliver; srv µs/msg = server CPU per acked message; "
            + "load = 1-minute load average at the step's end; steal = share of the machine's CPU time over the step");
        foreach (var (r, failure) in steps)
        {
            table.AddRow(
                F(r.OfferedRate, "F0"), F(r.AchievedRate, "F0"), Ms(r.Ack.P50), Ms(r.Ack.P99),
                Ms(r.Deliver.P50), Ms(r.Deliver.P99), Ms(r.Deliver.Max), Bad(r.ErrorCount), Bad(r.Lost),
                r.Cpu.ServerMicrosPer(r.Acked) is { } cpu ? F(cpu, "F0") : "-",
                r.Cpu.Machine is { } m ? F(m.Load1End, "F2") : "-",
                r.Cpu.Machine is { } n ? F(n.StealPercent, "F2") : "-",
                failure is null ? "[green]pass[/]" : "[red]" + Markup.Escape(failure) + "[/]");
        }

        console.Write(table);
    }

    public static void Catchup(IAnsiConsole console, CatchupResult r)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]catchup[/] ({r.Mode}): {r.Rooms} rooms, {r.Messages} messages per absence, {r.Iterations} iterations");
        table.AddColumn("fetched").AddColumn("missing").AddColumn("pages").AddColumn("snapshots").AddColumn("mean").AddColumn("p50")
            .AddColumn("p90").AddColumn("p99").AddColumn("max").AddColumn("msgs/s");
        table.Caption("times in ms, reconnect start → last missed message received");
        table.AddRow(
            N(r.Fetched), Bad(r.Missing), N(r.Pages), N(r.Snapshots), Ms(r.MeanMs), Ms(r.Time.P50), Ms(r.Time.P90), Ms(r.Time.P99), Ms(r.Time.Max),
            F(r.MeanMs > 0 ? r.Messages / (r.MeanMs / 1000) : 0, "F0"));
        console.Write(table);
        if (r.Machine is { } machine)
        {
            console.MarkupLine("machine over the iterations: " + Markup.Escape(machine.Describe()));
        }

        Errors(console, r.Errors);
    }

    private static void Errors(IAnsiConsole console, SortedDictionary<string, long> errors)
    {
        if (errors.Count == 0)
        {
            console.MarkupLine("errors: [green]none[/]");
            return;
        }

        console.MarkupLine("errors: [red]" + Markup.Escape(string.Join(", ", errors.Select(e => $"{e.Key}={e.Value}"))) + "[/]");
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(double value) => value.ToString(value < 10 ? "F2" : "F1", CultureInfo.InvariantCulture);

    private static string Bad(long value) => value == 0 ? "0" : "[red]" + N(value) + "[/]";
}
