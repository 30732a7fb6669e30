using System.Net.WebSockets;
using Lime.Client;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>Entry point: parse, pick the console, run one scenario. Exit 0 ok, 1 failed check, 2 usage or set-up error.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (UsageException e)
        {
            if (e.Message.Length > 0)
            {
                await Console.Error.WriteLineAsync(e.Message + Environment.NewLine);
            }

            await Console.Error.WriteLineAsync(BenchOptions.Usage);
            return e.Message.Length == 0 ? 0 : 2;
        }

        // With --json, stdout carries only the JSON lines; tables and progress go to stderr.
        var console = options.Json
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
            : AnsiConsole.Console;
        if (!console.Profile.Out.IsTerminal)
        {
            console.Profile.Width = 160; // redirected: no terminal width to fit, so keep tables and log lines unwrapped
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        using var nodes = new Nodes(options.Urls);
        try
        {
            return options.Scenario switch
            {
                "dm" => await DmScenario.RunAsync(options, nodes, console, cancel.Token),
                "sweep" => await SweepScenario.RunAsync(options, nodes, console, cancel.Token),
                "group" => await GroupScenario.RunAsync(options, nodes, console, cancel.Token),
                "channel" => await ChannelScenario.RunAsync(options, nodes, console, cancel.Token),
                "connections" => await ConnectionsScenario.RunAsync(options, nodes, console, cancel.Token),
                "mixed" => await MixedScenario.RunAsync(options, nodes, console, cancel.Token),
                _ => await CatchupScenario.RunAsync(options, nodes, console, cancel.Token),
            };
        }
        catch (Exception e) when (e is HttpRequestException or WebSocketException)
        {
            Hints.Unreachable(console, options.Urls, e);
            return 2;
        }
        catch (UsageException e)
        {
            console.MarkupLine("[red]" + Markup.Escape(e.Message) + "[/]");
            return 2;
        }
        catch (LimeApiException e)
        {
            console.MarkupLine("[red]set-up failed:[/] " + Markup.Escape(e.Message));
            return 2;
        }
        catch (TaskCanceledException e) when (!cancel.IsCancellationRequested)
        {
            // HttpClient's own timeout (30 s) on a set-up request: the server is overloaded or stuck.
            console.MarkupLine("[red]a set-up request timed out:[/] " + Markup.Escape(e.Message) + " See the server's log.");
            return 2;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]cancelled[/]");
            return 130;
        }
    }
}
