using System.Globalization;

namespace Lime.Bench;

/// <summary>
/// The server under test as a local process: its PID (from --server-pid, or the PID file that
/// tools/Lime.Bench/run-server.sh writes) and what /proc says about it.
/// </summary>
internal static class ServerProcess
{
    /// <summary>The PID file of run-server.sh: $LIME_BENCH_STATE/server.pid, by default $TMPDIR/lime-bench/server.pid.</summary>
    public static string PidFile
    {
        get
        {
            string? state = Environment.GetEnvironmentVariable("LIME_BENCH_STATE");
            if (string.IsNullOrEmpty(state))
            {
                string? tmp = Environment.GetEnvironmentVariable("TMPDIR");
                state = Path.Combine(string.IsNullOrEmpty(tmp) ? "/tmp" : tmp, "lime-bench");
            }

            return Path.Combine(state, "server.pid");
        }
    }

    /// <summary>The server PID, checked to be alive; throws <see cref="UsageException"/> when there is none.</summary>
    public static int Resolve(int? explicitPid)
    {
        int pid;
        if (explicitPid is { } given)
        {
            pid = given;
        }
        else if (!File.Exists(PidFile) || !int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out pid))
        {
            throw new UsageException($"No server PID: pass --server-pid, or start the server with tools/Lime.Bench/run-server.sh (PID file {PidFile}).");
        }

        if (!File.Exists($"/proc/{pid}/status"))
        {
            throw new UsageException($"Process {pid} is not running (or /proc is not available: this scenario needs Linux).");
        }

        return pid;
    }

    /// <summary>
    /// The server PID for reporting its CPU time next to a load's results: --server-pid, else (one --url only)
    /// run-server.sh's PID file if that process is alive; null otherwise.
    /// </summary>
    public static int? TryResolve(BenchOptions o)
    {
        if (o.ServerPid is null && o.Urls.Count != 1)
        {
            return null;
        }

        try
        {
            return Resolve(o.ServerPid);
        }
        catch (UsageException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>User + system CPU time of a process so far, in seconds (/proc/&lt;pid&gt;/stat, clock ticks of 10 ms); null if unreadable.</summary>
    public static double? CpuSeconds(int? pid)
    {
        if (pid is null)
        {
            return null;
        }

        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long utime = long.Parse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture);
            long stime = long.Parse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture);
            return (utime + stime) / 100.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Resident set size (VmRSS) in bytes.</summary>
    public static long RssBytes(int pid) => StatusKilobytes(pid, "VmRSS:") * 1024;

    /// <summary>The soft limit on open files of a process ("Max open files" in /proc/&lt;pid&gt;/limits); null if unreadable.</summary>
    public static long? OpenFileLimit(string pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/limits"))
            {
                if (line.StartsWith("Max open files", StringComparison.Ordinal))
                {
                    string[] parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft) ? soft : null;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static long StatusKilobytes(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                string value = line[field.Length..].Trim();
                int space = value.IndexOf(' ', StringComparison.Ordinal);
                return long.Parse(space < 0 ? value : value[..space], NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field} line.");
    }
}
