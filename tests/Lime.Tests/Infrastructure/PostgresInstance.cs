using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Lime.Tests.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL server on 127.0.0.1 (initdb into a temp directory, pg_ctl start), optionally a
/// synchronous standby of another instance. Runs as the postgres user when the tests run as root.
/// Stopped (immediately) by <see cref="DisposeAsync"/>; only the servers it started.
/// </summary>
public sealed class PostgresInstance : IAsyncDisposable
{
    private PostgresInstance(string directory, int port)
    {
        DataDirectory = directory;
        Port = port;
    }

    public string DataDirectory { get; }
    public int Port { get; private set; }

    private string? _standbyName;

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=50;Timeout=15;Command Timeout=0";

    /// <summary>Starts a primary. With <paramref name="synchronousStandby"/>, commits wait for a standby named like that.</summary>
    public static async Task<PostgresInstance> StartPrimaryAsync(string? synchronousStandby = null)
    {
        var instance = new PostgresInstance(NewDirectory(), FreePort());
        await RunAsync("initdb", "-D", instance.DataDirectory, "-U", "postgres", "-A", "trust", "--no-instructions", "-E", "UTF8", "--locale=C");
        var conf = new List<string>
        {
            "listen_addresses = '127.0.0.1'",
            $"port = {instance.Port}",
            $"unix_socket_directories = '{instance.DataDirectory}'",
            "max_connections = 300",
            "wal_level = replica",
            "max_wal_senders = 5",
            "max_replication_slots = 5",
            "fsync = on",
            // With a synchronous standby, remote_apply: an acknowledged commit is not only flushed on the standby
            // (what durability needs, synchronous_commit = on) but already visible there, so tests can check
            // every acknowledgement against the standby the moment it arrives.
            synchronousStandby is null ? "synchronous_commit = on" : "synchronous_commit = remote_apply",
            "shared_buffers = 64MB",
        };
        if (synchronousStandby is not null)
        {
            conf.Add($"synchronous_standby_names = 'FIRST 1 ({synchronousStandby})'");
        }

        await File.AppendAllLinesAsync(Path.Combine(instance.DataDirectory, "postgresql.conf"), conf);
        await File.AppendAllLinesAsync(Path.Combine(instance.DataDirectory, "pg_hba.conf"), ["host replication all 127.0.0.1/32 trust"]);
        await instance.StartAsync();
        return instance;
    }

    /// <summary>Starts a streaming standby of <paramref name="primary"/> with application_name <paramref name="name"/>.</summary>
    public static async Task<PostgresInstance> StartStandbyAsync(PostgresInstance primary, string name)
    {
        var instance = new PostgresInstance(NewDirectory(), FreePort());
        Directory.Delete(instance.DataDirectory);
        await RunAsync("pg_basebackup", "-h", "127.0.0.1", "-p", primary.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", "postgres", "-D", instance.DataDirectory, "-R", "-X", "stream", "-C", "-S", "slot_" + name);
        await File.AppendAllLinesAsync(Path.Combine(instance.DataDirectory, "postgresql.conf"),
        [
            $"port = {instance.Port}",
            $"unix_socket_directories = '{instance.DataDirectory}'",
            "synchronous_standby_names = ''",
        ]);

        // pg_basebackup -R writes its own primary_conninfo (without application_name) into postgresql.auto.conf,
        // which is read after postgresql.conf and wins: the standby would then stream as "walreceiver", never match
        // synchronous_standby_names, and every commit on the primary would wait forever.
        instance._standbyName = name;
        await instance.StreamFromAsync(primary);
        if (Services.IsRoot)
        {
            await RunRawAsync("chown", "-R", "postgres:postgres", instance.DataDirectory);
        }

        await instance.StartAsync();
        return instance;
    }

    /// <summary>
    /// Starts the server. A port picked free can be taken by another process before the server binds it (tests run
    /// in parallel): then it moves to a new free port (the last setting in postgresql.auto.conf wins) and retries.
    /// </summary>
    public async Task StartAsync()
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await RunAsync("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(DataDirectory, "server.log"), "-w", "-t", "60", "start");
                return;
            }
            catch (InvalidOperationException) when (attempt < 5 && PortWasTaken())
            {
                Port = FreePort();
                await File.AppendAllLinesAsync(Path.Combine(DataDirectory, "postgresql.auto.conf"), [$"port = {Port}"]);
            }
        }
    }

    private bool PortWasTaken()
    {
        string log = Path.Combine(DataDirectory, "server.log");
        return File.Exists(log) && File.ReadLines(log).TakeLast(10).Any(l => l.Contains("Address already in use", StringComparison.Ordinal));
    }

    /// <summary>
    /// Standby only: which server to stream from (null: none — the standby then serves only the WAL it already has).
    /// Written to postgresql.auto.conf (the last setting wins); takes effect at the next start, or now with <see cref="ReloadAsync"/>.
    /// </summary>
    public async Task StreamFromAsync(PostgresInstance? primary)
    {
        string name = _standbyName ?? throw new InvalidOperationException("Not a standby.");
        string conninfo = primary is null ? "" : $"host=127.0.0.1 port={primary.Port} user=postgres application_name={name}";
        await File.AppendAllLinesAsync(Path.Combine(DataDirectory, "postgresql.auto.conf"), [$"primary_conninfo = '{conninfo}'"]);
    }

    /// <summary>Re-reads the configuration files (pg_ctl reload).</summary>
    public Task ReloadAsync() => RunAsync("pg_ctl", "-D", DataDirectory, "reload");

    /// <summary>Stops the server: "immediate" is a crash (no checkpoint), "fast" a clean stop.</summary>
    public Task StopAsync(string mode = "immediate") => RunAsync("pg_ctl", "-D", DataDirectory, "-m", mode, "-w", "stop");

    public Task PromoteAsync() => RunAsync("pg_ctl", "-D", DataDirectory, "-w", "promote");

    /// <summary>Creates a fresh database (a copy of <paramref name="template"/>, default template1) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? template = null)
    {
        string name = "lime_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(template is null ? $"CREATE DATABASE {name}" : $"CREATE DATABASE {name} TEMPLATE {template}");
        return ConnectionString(name);
    }

    /// <summary>Drops a database, ending any session still connected to it.</summary>
    public Task DropDatabaseAsync(string name) => ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");

    /// <summary>Runs one statement in the postgres database (never pooled: a template must have no open session).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
            File.Delete(DataDirectory + ".owner");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Stops servers left behind by earlier test processes that died before cleaning up (their owner file names a
    /// process that no longer exists). Only servers this test infrastructure created are touched.
    /// </summary>
    public static async Task ReapOrphansAsync()
    {
        foreach (string owner in Directory.GetFiles(Path.GetTempPath(), "lime-pg-*.owner"))
        {
            string dir = owner[..^".owner".Length];
            string text;
            try
            {
                text = await File.ReadAllTextAsync(owner);
            }
            catch (FileNotFoundException)
            {
                continue; // another test process reaped it meanwhile
            }

            // Unreadable content is an owner file still being written by a live process: never reap on a guess.
            if (!int.TryParse(text, out int pid) || ProcessAlive(pid))
            {
                continue;
            }

            if (File.Exists(Path.Combine(dir, "postmaster.pid")))
            {
                try
                {
                    await RunAsync("pg_ctl", "-D", dir, "-m", "immediate", "-w", "stop");
                }
                catch (InvalidOperationException)
                {
                    // Not running.
                }
            }

            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }

            File.Delete(owner);
        }
    }

    private static bool ProcessAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string NewDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "lime-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(dir + ".owner", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Services.IsRoot)
        {
            RunRawAsync("chown", "postgres:postgres", dir).GetAwaiter().GetResult();
        }

        return dir;
    }

    private static Task RunAsync(string tool, params string[] args)
    {
        string path = Path.Combine(Services.PostgresBin ?? throw new InvalidOperationException("PostgreSQL is not installed."), tool);
        return Services.IsRoot ? RunRawAsync("runuser", ["-u", "postgres", "--", path, .. args]) : RunRawAsync(path, args);
    }

    private static async Task RunRawAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await stdout}{await stderr}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
