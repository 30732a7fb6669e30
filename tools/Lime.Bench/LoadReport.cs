using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>Tables, the JSON line and the verdict of one load run (dm, group, channel, mixed).</summary>
internal static class LoadReport
{
    /// <summary>Prints the result; returns the exit code (1 when a copy was lost, duplicated or reordered).</summary>
    public static int Finish(IAnsiConsole console, BenchOptions o, LoadResult r, RoomLoad load, string title, Action<Utf8JsonWriter> extra)
    {
        var summary = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(r.Scenario)}[/]: {Markup.Escape(title)}");
        summary.AddColumn("").AddColumn(new TableColumn("").RightAligned());
        summary.AddRow("offered msg/s", F(r.OfferedRate));
        summary.AddRow("achieved msg/s (acks in window)", F(r.AchievedRate));
        summary.AddRow("offered deliveries/s (copies to other members)", F(r.OfferedDeliveries));
        summary.AddRow("achieved deliveries/s (copies in window)", F(r.AchievedDeliveries));
        summary.AddRow("measured s", r.DurationSeconds.ToString("F1", CultureInfo.InvariantCulture));
        summary.AddRow("sent / acked", $"{N(r.Sent)} / {N(r.Acked)}");
        summary.AddRow("copies delivered to other members", N(r.Delivered));
        summary.AddRow("lost copies (any member)", Bad(r.Lost));
        summary.AddRow("duplicate copies", Bad(r.Duplicates));
        summary.AddRow("out of order", Bad(r.OutOfOrder));
        if (r.ReadsSent > 0 || r.TypingSent > 0)
        {
            summary.AddRow("reads / typing sent", $"{N(r.ReadsSent)} / {N(r.TypingSent)}");
            summary.AddRow("signals received (read, typing, presence)", N(load.Signals));
        }

        foreach (var (name, value) in r.Cpu.Rows(r.Acked, r.Delivered))
        {
            summary.AddRow(Markup.Escape(name), Markup.Escape(value));
        }

        summary.HideHeaders();
        console.Write(summary);

        var latency = new Table().Border(TableBorder.Rounded).Title("latency (ms, from the scheduled send time; deliver = per copy)");
        latency.AddColumn("").AddColumn("count").AddColumn("p50").AddColumn("p90").AddColumn("p99").AddColumn("p99.9").AddColumn("max");
        Row(latency, "send → ack", r.Ack);
        Row(latency, "send → deliver", r.Deliver);
        if (r.DeliverByKind.Count > 1)
        {
            foreach (var (kind, l) in r.DeliverByKind)
            {
                Row(latency, "  in " + kind + " rooms", l);
            }
        }

        if (r.ReadsSent > 0)
        {
            Row(latency, "read → reply", r.Read);
        }

        Row(latency, "issue lag (generator)", r.Lag);
        console.Write(latency);
        console.MarkupLine(r.Errors.Count == 0
            ? "errors: [green]none[/]"
            : "errors: [red]" + Markup.Escape(string.Join(", ", r.Errors.Select(e => $"{e.Key}={e.Value}"))) + "[/]");
        if (load.SawRateLimit)
        {
            Hints.RateLimited(console);
        }

        if (o.Json)
        {
            Console.Out.WriteLine(r.ToJson(extra));
        }

        if (!r.Correct)
        {
            console.MarkupLine($"[red bold]FAILED[/]: lost copies {r.Lost}, duplicates {r.Duplicates}, out of order {r.OutOfOrder}");
            return 1;
        }

        console.MarkupLine("[green]correct[/]: every acked message reached every member exactly once, in seq order");
        if (r.ErrorCount > 0)
        {
            console.MarkupLine($"[yellow]but {r.ErrorCount} errors[/] (see above)");
        }

        return 0;
    }

    private static void Row(Table table, string name, LatencySummary l) =>
        table.AddRow(Markup.Escape(name), N(l.Count), Ms(l.P50), Ms(l.P90), Ms(l.P99), Ms(l.P999), Ms(l.Max));

    private static string F(double value) => value.ToString("F0", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(double value) => value.ToString(value < 10 ? "F2" : "F1", CultureInfo.InvariantCulture);

    private static string Bad(long value) => value == 0 ? "0" : "[red]" + N(value) + "[/]";
}
