using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lime.Tests.Infrastructure;

/// <summary>
/// LIME as a child process (the real executable, real Kestrel on a loopback port), for tests that kill it.
/// Only the process it started is ever stopped, by that process object.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private Process? _process;

    private readonly Uri? _readinessUrl;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2? _trust;

    /// <param name="readinessUrl">Where to probe /readyz (default: the HTTP address on <see cref="Port"/>).</param>
    /// <param name="trust">The only TLS certificate to accept when probing over HTTPS.</param>
    public ServerProcess(string dataDirectory, IDictionary<string, string>? settings = null, Uri? readinessUrl = null,
        System.Security.Cryptography.X509Certificates.X509Certificate2? trust = null)
    {
        _readinessUrl = readinessUrl;
        _trust = trust;
        Port = FreePort();
        DataDirectory = dataDirectory;
        _environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}",
            ["Lime__Storage__DataDirectory"] = dataDirectory,
            ["Lime__Auth__PasswordIterations"] = "1000",
            ["Lime__Limits__SendsPerSecond"] = "1000000",
            ["Lime__Limits__SendBurst"] = "1000000",
            ["Lime__Auth__LoginsPerAddressPerMinute"] = "1000000",
            ["Lime__Auth__RegistrationsPerAddressPerHour"] = "1000000",
            ["Lime__Auth__RefreshesPerAddressPerMinute"] = "1000000",
            ["Lime__Auth__AccountAttemptsPerMinute"] = "1000000",
            ["Lime__Limits__RoomsPerHour"] = "1000000",
            ["Lime__Realtime__MaxSocketsPerUser"] = "1000000",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Lime__Cluster__PublicUrl"] = $"http://127.0.0.1:{Port}",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            _environment[key] = value;
        }
    }

    public int Port { get; private set; }

    /// <summary>What the process printed (for failure messages).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();
    public string DataDirectory { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public async Task StartAsync()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Lime.Server.dll");
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the server.");
        _starts++;
        _process.OutputDataReceived += (_, e) => Output.Enqueue(e.Data ?? "");
        _process.ErrorDataReceived += (_, e) => Output.Enqueue(e.Data ?? "");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var handler = new HttpClientHandler();
        if (_trust is { } trusted)
        {
            handler.ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == trusted.GetCertHashString();
        }

        using var http = new HttpClient(handler) { BaseAddress = _readinessUrl ?? BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                if (_starts < 5 && _readinessUrl is null && Output.Any(l => l.Contains("address already in use", StringComparison.OrdinalIgnoreCase)))
                {
                    // The port picked free was taken by another process before Kestrel bound it: move and retry.
                    _process.Dispose();
                    MoveToPort(FreePort());
                    Output.Clear();
                    await StartAsync();
                    return;
                }

                throw new InvalidOperationException($"The server exited with {_process.ExitCode} during start-up:\n{string.Join('\n', Output)}");
            }

            try
            {
                if ((await http.GetAsync("readyz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The server did not become ready within 30 s:\n{string.Join('\n', Output)}");
    }

    private int _starts;

    private void MoveToPort(int port)
    {
        string old = $"http://127.0.0.1:{Port}";
        Port = port;
        foreach (string key in _environment.Keys.ToList())
        {
            _environment[key] = _environment[key].Replace(old, $"http://127.0.0.1:{port}", StringComparison.Ordinal);
        }
    }

    /// <summary>The process id while running.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Sends a signal (e.g. STOP, CONT) to the server process — only the one this object started.</summary>
    public async Task SignalAsync(string signal)
    {
        if (Pid is not { } pid)
        {
            throw new InvalidOperationException("The server is not running.");
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Graceful stop (SIGTERM), waiting for the process to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            await SignalAsync("TERM");
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>kill -9: no shutdown hooks, no flush.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false); // SIGKILL on Unix
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
