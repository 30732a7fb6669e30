using System.Globalization;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>Human-readable result tables (Spectre.Console).</summary>
internal static class Report
{
    public static void Dm(IAnsiConsole console, DmResult r, int users)
    {
        var summary = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(r.Scenario)}[/]: {users} users, {users / 2} direct rooms");
        summary.AddColumn("").AddColumn(new TableColumn("").RightAligned());
        summary.AddRow("offered msg/s", F(r.OfferedRate, "F0"));
        summary.AddRow("achieved msg/s (acks in window)", F(r.AchievedRate, "F0"));
        summary.AddRow("measured s", F(r.DurationSeconds, "F1"));
        summary.AddRow("sent", N(r.Sent));
        summary.AddRow("acked", N(r.Acked));
        summary.AddRow("delivered to peer", N(r.Delivered));
        summary.AddRow("lost", Bad(r.Lost));
        summary.AddRow("duplicates", Bad(r.Duplicates));
        summary.AddRow("out of order", Bad(r.OutOfOrder));
        summary.AddRow("generator CPU (% of one core)", F(r.GeneratorCpuPercent, "F0"));
        summary.HideHeaders();
        console.Write(summary);
        console.Write(Latencies(("send → ack", r.Ack), ("send → deliver", r.Deliver), ("issue lag (generator)", r.Lag)));
        Errors(console, r.Errors);
    }

    public static void Sweep(IAnsiConsole console, IReadOnlyList<(DmResult Result, string? Failure)> steps, double boundMs)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]sweep[/]: p99 send → deliver bound {boundMs} ms");
        table.AddColumn("offered/s").AddColumn("acked/s").AddColumn("ack p50").AddColumn("ack p99")
            .AddColumn("dlv p50").AddColumn("dlv p99").AddColumn("dlv max").AddColumn("errors").AddColumn("lost").AddColumn("result");
        table.Caption("latencies in ms from the scheduled send time; dlv = send → deliver");
        foreach (var (r, failure) in steps)
        {
            table.AddRow(
                F(r.OfferedRate, "F0"), F(r.AchievedRate, "F0"), Ms(r.Ack.P50), Ms(r.Ack.P99),
                Ms(r.Deliver.P50), Ms(r.Deliver.P99), Ms(r.Deliver.Max), Bad(r.ErrorCount), Bad(r.Lost),
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
        Errors(console, r.Errors);
    }

    private static Table Latencies(params (string Name, LatencySummary L)[] rows)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("latency (ms, from the scheduled send time)");
        table.AddColumn("").AddColumn("count").AddColumn("p50").AddColumn("p90").AddColumn("p99").AddColumn("p99.9").AddColumn("max");
        foreach (var (name, l) in rows)
        {
            table.AddRow(Markup.Escape(name), N(l.Count), Ms(l.P50), Ms(l.P90), Ms(l.P99), Ms(l.P999), Ms(l.Max));
        }

        return table;
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
