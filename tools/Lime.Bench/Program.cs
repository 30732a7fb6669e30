using System.CommandLine;
using System.CommandLine.Invocation;
using System.Net.WebSockets;
using Lime.Client;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>Entry point: parse, pick the console, run one scenario. Exit 0 ok, 1 failed check, 2 usage or set-up error.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var parse = BenchCommandLine.Create(RunAsync).Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message);
            }

            await Console.Error.WriteLineAsync("Run with --help (or <scenario> --help) for the scenarios and their options.");
            return 2;
        }

        // Ctrl+C stops sending early but lets the drain and the report finish (bounded by --drain), so the handler is
        // ours: System.CommandLine's own would end the process two seconds after the signal.
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, cancel.Token);
    }

    private static async Task<int> RunAsync(BenchOptions options, CancellationToken ct)
    {
        // With --json, stdout carries only the JSON lines; tables and progress go to stderr.
        var console = options.Json
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) })
            : AnsiConsole.Console;
        if (!console.Profile.Out.IsTerminal)
        {
            console.Profile.Width = 160; // redirected: no terminal width to fit, so keep tables and log lines unwrapped
        }

        using var nodes = new Nodes(options.Urls);
        try
        {
            return options.Scenario switch
            {
                "dm" => await DmScenario.RunAsync(options, nodes, console, ct),
                "sweep" => await SweepScenario.RunAsync(options, nodes, console, ct),
                "group" => await GroupScenario.RunAsync(options, nodes, console, ct),
                "channel" => await ChannelScenario.RunAsync(options, nodes, console, ct),
                "connections" => await ConnectionsScenario.RunAsync(options, nodes, console, ct),
                "search" => await SearchScenario.RunAsync(options, nodes, console, ct),
                "mixed" => await MixedScenario.RunAsync(options, nodes, console, ct),
                _ => await CatchupScenario.RunAsync(options, nodes, console, ct),
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
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            // HttpClient's own timeout (30 s) on a set-up request: the server is overloaded or stuck.
            console.MarkupLine("[red]a set-up request timed out:[/] " + Markup.Escape(e.Message) + " See the server's log.");
            return 2;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            console.MarkupLine("[yellow]cancelled[/]");
            return 130;
        }
    }
}
