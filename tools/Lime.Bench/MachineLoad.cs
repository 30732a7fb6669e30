using System.Globalization;
using System.Text.Json;

namespace Lime.Bench;

/// <summary>
/// What else the machine was doing over a run, from /proc: the 1-minute load average at its start and end
/// (/proc/loadavg, what `uptime` prints) and how the CPU time of all cores was spent between the two (deltas of the
/// aggregate line of /proc/stat). Steal is time a virtual CPU was runnable but the hypervisor ran someone else; on a
/// shared box it, and the load, say how much a run's latencies measure the neighbours. The server and the generator
/// are part of both figures: a dm run at 2,000/s alone keeps about one of two cores busy.
/// </summary>
internal sealed record MachineLoad(
    int Cores,
    double Load1Start,
    double Load1End,
    double UserPercent,
    double SystemPercent,
    double IowaitPercent,
    double StealPercent,
    double IdlePercent)
{
    /// <summary>The CPU time counters of all cores (clock ticks) and the 1-minute load average at one moment; null off Linux.</summary>
    public static Sample? Read()
    {
        try
        {
            string? aggregate = null;
            int cores = 0;
            foreach (string line in File.ReadLines("/proc/stat"))
            {
                if (line.StartsWith("cpu ", StringComparison.Ordinal))
                {
                    aggregate = line;
                }
                else if (line.StartsWith("cpu", StringComparison.Ordinal) && line.Length > 3 && char.IsAsciiDigit(line[3]))
                {
                    cores++;
                }
            }

            // cpu  user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
            long[] t = aggregate!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(v => long.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
            double load1 = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture);
            return new Sample(cores, t[0] + t[1], t[2] + t[5] + t[6], t[3], t[4], t[7], load1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or NullReferenceException)
        {
            return null;
        }
    }

    /// <summary>The machine between two samples; null when either is missing or no time passed.</summary>
    public static MachineLoad? Between(Sample? start, Sample? end)
    {
        if (start is not { } a || end is not { } b || b.Total <= a.Total)
        {
            return null;
        }

        double total = b.Total - a.Total;
        double Share(long before, long after) => 100 * (after - before) / total;
        return new MachineLoad(
            b.Cores, a.Load1, b.Load1, Share(a.User, b.User), Share(a.System, b.System), Share(a.Iowait, b.Iowait),
            Share(a.Steal, b.Steal), Share(a.Idle, b.Idle));
    }

    /// <summary>One line for the human report.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"load (1 min) {Load1Start:F2} → {Load1End:F2}; CPU of {Cores} cores: user {UserPercent:F1} %, system {SystemPercent:F1} %, iowait {IowaitPercent:F1} %, steal {StealPercent:F1} %, idle {IdlePercent:F1} %");

    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject("machine");
        json.WriteNumber("cores", Cores);
        json.WriteNumber("load1_start", Load1Start);
        json.WriteNumber("load1_end", Load1End);
        json.WriteNumber("user_pct", Math.Round(UserPercent, 1));
        json.WriteNumber("system_pct", Math.Round(SystemPercent, 1));
        json.WriteNumber("iowait_pct", Math.Round(IowaitPercent, 1));
        json.WriteNumber("steal_pct", Math.Round(StealPercent, 2));
        json.WriteNumber("idle_pct", Math.Round(IdlePercent, 1));
        json.WriteEndObject();
    }

    /// <summary>Clock ticks since boot summed over all cores: user (+nice), system (+irq, softirq), idle, iowait, steal.</summary>
    internal readonly record struct Sample(int Cores, long User, long System, long Idle, long Iowait, long Steal, double Load1)
    {
        public long Total => User + System + Idle + Iowait + Steal;
    }
}
