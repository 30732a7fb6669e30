using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// The one live status line of a run. On an interactive terminal it is a Spectre.Console status spinner refreshed
/// a few times a second; when output is redirected it prints nothing but the <see cref="Log"/> lines, so logs and
/// CI output stay clean.
/// </summary>
internal sealed class ProgressLine(IAnsiConsole console)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(250);
    private volatile string _text = "";

    public bool Live { get; } = console.Profile.Capabilities.Interactive && console.Profile.Out.IsTerminal;

    /// <summary>Replaces the live status text (cheap; shown at the next refresh).</summary>
    public void Set(string text) => _text = text;

    /// <summary>A line that stays: phase changes and set-up summaries, never per message.</summary>
    public void Log(string text) => console.MarkupLine("[grey]" + Markup.Escape(text) + "[/]");

    public async Task<T> RunAsync<T>(Func<Task<T>> body)
    {
        if (!Live)
        {
            return await body();
        }

        return await console.Status().Spinner(Spinner.Known.Dots).StartAsync("starting", async ctx =>
        {
            var work = body();
            while (!work.IsCompleted)
            {
                await Task.WhenAny(work, Task.Delay(Refresh));
                ctx.Status(Markup.Escape(_text));
            }

            return await work;
        });
    }
}
