using System.Globalization;
using System.Text.Json;

namespace Lime.Bench;

/// <summary>
/// CPU over a load's measured window plus its drain (<see cref="CpuMeter"/>): the server's, per acknowledged message
/// and per delivered copy, the generator's, and what the whole machine did meanwhile. Server CPU per message barely
/// depends on the neighbours, unlike latency, though it drops when a server falls behind and starts coalescing: compare
/// runs in the same regime. <see cref="ServerSeconds"/> is empty when no server process was found.
/// </summary>
internal sealed record CpuFigures(
    double WindowSeconds,
    double GeneratorPercent,
    ServerPids Servers,
    IReadOnlyDictionary<int, double> ServerSeconds,
    MachineLoad? Machine)
{
    public bool ServerKnown => ServerSeconds.Count > 0;

    /// <summary>Server CPU-seconds, summed over its processes (the nodes of a cluster).</summary>
    public double ServerTotal => ServerSeconds.Values.Sum();

    public double ServerPercent => WindowSeconds > 0 ? 100 * ServerTotal / WindowSeconds : 0;

    /// <summary>Server CPU µs per item (acked message, delivered copy); null when unknown or nothing counted.</summary>
    public double? ServerMicrosPer(long items) => ServerKnown && items > 0 ? 1e6 * ServerTotal / items : null;

    /// <summary>Writes "cpu" (server and generator) and "machine" (see <see cref="MachineLoad"/>).</summary>
    public void WriteJson(Utf8JsonWriter json, long acked, long copies)
    {
        json.WriteStartObject("cpu");
        json.WriteNumber("window_s", Math.Round(WindowSeconds, 3));
        if (ServerKnown)
        {
            json.WriteNumber("server_s", Math.Round(ServerTotal, 2));
            json.WriteNumber("server_pct", Math.Round(ServerPercent, 1));
            if (ServerMicrosPer(acked) is { } perMessage)
            {
                json.WriteNumber("server_us_per_msg", Math.Round(perMessage, 1));
            }

            if (ServerMicrosPer(copies) is { } perCopy)
            {
                json.WriteNumber("server_us_per_copy", Math.Round(perCopy, 2));
            }
        }

        json.WriteStartArray("server_pids");
        foreach (int pid in ServerSeconds.Keys)
        {
            json.WriteNumberValue(pid);
        }

        json.WriteEndArray();
        json.WriteString("server_pids_from", Servers.How);
        json.WriteNumber("nodes", Servers.Nodes);
        if (ServerSeconds.Count > 1)
        {
            json.WriteStartObject("server_s_by_pid");
            foreach (var (pid, seconds) in ServerSeconds)
            {
                json.WriteNumber(pid.ToString(CultureInfo.InvariantCulture), Math.Round(seconds, 2));
            }

            json.WriteEndObject();
        }

        json.WriteNumber("generator_pct", Math.Round(GeneratorPercent, 1));
        json.WriteEndObject();
        Machine?.WriteJson(json);
    }

    /// <summary>Rows for a result table: server CPU (or why it is unknown), generator CPU, the machine's noise.</summary>
    public IEnumerable<(string Name, string Value)> Rows(long acked, long copies)
    {
        yield return ("CPU window s (measured + drain)", F(WindowSeconds, "F1"));
        if (ServerKnown)
        {
            yield return ("server CPU (% of one core)", F(ServerPercent, "F0"));
            yield return ("server CPU µs per acked message", ServerMicrosPer(acked) is { } m ? F(m, "F1") : "-");
            yield return ("server CPU µs per delivered copy", ServerMicrosPer(copies) is { } c ? F(c, "F2") : "-");
            yield return ("server processes", $"{string.Join(", ", ServerSeconds.Keys)} ({Servers.How}, {Servers.Nodes} node(s))");
        }
        else
        {
            yield return ("server CPU", "unknown: no server process found (--server-pid)");
        }

        yield return ("generator CPU (% of one core)", F(GeneratorPercent, "F0"));
        if (Machine is { } machine)
        {
            yield return ("machine load (1 min), start → end", $"{F(machine.Load1Start, "F2")} → {F(machine.Load1End, "F2")}");
            yield return ($"machine CPU of {machine.Cores} cores: user / system / steal / idle %",
                $"{F(machine.UserPercent, "F1")} / {F(machine.SystemPercent, "F1")} / {F(machine.StealPercent, "F2")} / {F(machine.IdlePercent, "F1")}");
        }
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
