using System.Diagnostics;

namespace Lime.Bench;

/// <summary>
/// Measures CPU over one stretch of a run: the server processes' user + system time (/proc/&lt;pid&gt;/stat, 10 ms
/// ticks), this generator's own, and the whole machine's (<see cref="MachineLoad"/>). A load starts it when its
/// measured window opens and stops it when the drain ends, so the figures cover the measured messages (set-up,
/// warm-up and the JIT work of a fresh server excluded).
/// </summary>
internal sealed class CpuMeter
{
    private readonly ServerPids _servers;
    private readonly long _wallStart = Stopwatch.GetTimestamp();
    private readonly TimeSpan _generatorStart = Environment.CpuUsage.TotalTime;
    private readonly Dictionary<int, double> _serverStart = [];
    private readonly MachineLoad.Sample? _machineStart = MachineLoad.Read();

    private CpuMeter(ServerPids servers)
    {
        _servers = servers;
        foreach (int pid in servers.Pids)
        {
            if (ServerProcess.CpuSeconds(pid) is { } seconds)
            {
                _serverStart[pid] = seconds;
            }
        }
    }

    public static CpuMeter Start(ServerPids servers) => new(servers);

    /// <summary>The figures since <see cref="Start"/>; a server process that ended meanwhile is left out of the sum.</summary>
    public CpuFigures Stop()
    {
        var machine = MachineLoad.Between(_machineStart, MachineLoad.Read());
        var server = new SortedDictionary<int, double>();
        foreach (var (pid, before) in _serverStart)
        {
            if (ServerProcess.CpuSeconds(pid) is { } after)
            {
                server[pid] = after - before;
            }
        }

        double generator = (Environment.CpuUsage.TotalTime - _generatorStart).TotalSeconds;
        double wall = Stopwatch.GetElapsedTime(_wallStart).TotalSeconds;
        return new CpuFigures(wall, wall > 0 ? 100 * generator / wall : 0, _servers, server, machine);
    }
}
