using System.Globalization;

namespace Lime.Bench;

/// <summary>
/// The server under test as local processes: their PIDs (given, found by listening port, or from the PID file that
/// tools/Lime.Bench/run-server.sh writes) and what /proc says about them.
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

    /// <summary>
    /// The server processes whose CPU time a load reports, and how they were found, first match wins:
    /// <list type="number">
    /// <item>--server-pid (repeatable, comma-separated), every one that is running;</item>
    /// <item>the processes listening on the TCP ports of the --url nodes (/proc/net/tcp and tcp6 give the listening
    /// socket's inode, /proc/&lt;pid&gt;/fd the process that holds it); URLs are loopback unless --allow-remote, so
    /// these are the local nodes, one process each for scripts/cluster.sh as for run-server.sh;</item>
    /// <item>with one --url, run-server.sh's PID file, if that process is running.</item>
    /// </list>
    /// None found (e.g. another user's processes, whose fds are not readable): empty, and the report says so.
    /// </summary>
    public static ServerPids Find(BenchOptions o)
    {
        int nodes = o.Urls.Select(u => u.Port).Distinct().Count();
        if (o.ServerPids.Count > 0)
        {
            return new ServerPids([.. o.ServerPids.Distinct().Where(IsRunning)], "--server-pid", nodes);
        }

        int[] listening = ListeningOn(o.Urls.Select(u => u.Port).ToHashSet());
        if (listening.Length > 0)
        {
            return new ServerPids(listening, "listening port", nodes);
        }

        if (o.Urls.Count == 1 && FromPidFile() is { } pid && IsRunning(pid))
        {
            return new ServerPids([pid], "run-server.sh PID file", nodes);
        }

        return new ServerPids([], "none", nodes);
    }

    /// <summary>The one server process of the connections scenario (its RSS is the figure); throws <see cref="UsageException"/> unless exactly one is found.</summary>
    public static int Resolve(BenchOptions o)
    {
        var found = Find(o);
        return found.Pids.Count switch
        {
            1 => found.Pids[0],
            0 => throw new UsageException($"No server PID: pass --server-pid, or start the server with tools/Lime.Bench/run-server.sh (PID file {PidFile}); on Linux only."),
            _ => throw new UsageException($"connections measures one server process, found {found.Pids.Count} ({string.Join(", ", found.Pids)} by {found.How}): pass one --url or one --server-pid."),
        };
    }

    private static bool IsRunning(int pid) => File.Exists($"/proc/{pid}/stat");

    private static int? FromPidFile()
    {
        try
        {
            return File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                ? pid
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>PIDs of the processes holding a listening TCP socket on one of <paramref name="ports"/>; empty off Linux.</summary>
    private static int[] ListeningOn(HashSet<int> ports)
    {
        var sockets = new HashSet<string>(StringComparer.Ordinal);
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            try
            {
                // "  0: 0100007F:1436 00000000:0000 0A …  uid timeout inode": local address:port in hex, state 0A = LISTEN.
                foreach (string line in File.ReadLines(table).Skip(1))
                {
                    string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length > 9 && f[3] == "0A"
                        && int.TryParse(f[1].AsSpan(f[1].LastIndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int port)
                        && ports.Contains(port))
                    {
                        sockets.Add($"socket:[{f[9]}]");
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // No such table (no IPv6, not Linux): nothing listens there.
            }
        }

        if (sockets.Count == 0)
        {
            return [];
        }

        var pids = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (Directory.EnumerateFileSystemEntries(dir + "/fd").Any(fd => new FileInfo(fd).LinkTarget is { } target && sockets.Contains(target)))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another user's process, or one that just ended.
            }
        }

        return [.. pids];
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

/// <summary>The server processes a run measures, how they were found (<see cref="ServerProcess.Find"/>), and how many nodes the --url list names.</summary>
internal sealed record ServerPids(IReadOnlyList<int> Pids, string How, int Nodes)
{
    public string Describe() => Pids.Count == 0
        ? $"no server process found for {Nodes} node(s) (pass --server-pid): server CPU unknown"
        : $"server CPU of PID {string.Join(", ", Pids)} ({How}; {Pids.Count} process(es) for {Nodes} node(s))";
}
