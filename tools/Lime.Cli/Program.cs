namespace Lime.Cli;

internal static class CliProgram
{
    public static Task<int> Main(string[] args) => LimeCli.RunAsync(args, CliEnvironment.Default);
}
