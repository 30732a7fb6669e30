namespace Lime.Cli;

/// <summary>What the CLI talks to: HTTP clients for the server, its output, its environment. Tests give an in-process server and string writers.</summary>
public sealed record CliEnvironment(Func<Uri, HttpClient> CreateHttp, TextWriter Out, TextWriter Error, Func<string, string?> Variable, bool Interactive)
{
    public static CliEnvironment Default { get; } = new(
        server => new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(10) },
        Console.Out,
        Console.Error,
        Environment.GetEnvironmentVariable,
        !Console.IsOutputRedirected);
}
