using System.Text.Json;

namespace Lime.Bench;

/// <summary>
/// The server's CPU time over a run (from the first send to the end of the drain), when its PID is known. CPU per
/// message and per delivered copy hardly depend on what else runs on the box, unlike latency, so they give a fair
/// capacity estimate on a shared machine: cores / (CPU seconds per copy).
/// </summary>
internal sealed record ServerCpu(double Seconds, double WallSeconds)
{
    public double Percent => WallSeconds > 0 ? 100 * Seconds / WallSeconds : 0;

    public void WriteJson(Utf8JsonWriter json, long messages, long copies)
    {
        json.WriteNumber("server_cpu_s", Math.Round(Seconds, 2));
        json.WriteNumber("server_cpu_pct", Math.Round(Percent, 1));
        if (messages > 0)
        {
            json.WriteNumber("server_cpu_us_per_msg", Math.Round(1e6 * Seconds / messages, 1));
        }

        if (copies > 0)
        {
            json.WriteNumber("server_cpu_us_per_copy", Math.Round(1e6 * Seconds / copies, 2));
        }
    }
}
