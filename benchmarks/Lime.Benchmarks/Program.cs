using BenchmarkDotNet.Running;

namespace Lime.Benchmarks;

/// <summary>
/// Micro-benchmarks of LIME's hot paths: frame parse/serialize, fanout dispatch to local connections, the login
/// timing of known against unknown usernames (LoginTimingBenchmarks, its own in-process job), and the
/// SQLite group commit. Run with <c>dotnet run -c Release --project benchmarks/Lime.Benchmarks -- --filter '*' --job short</c>.
/// </summary>
internal static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
