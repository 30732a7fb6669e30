using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lime.Tests.Infrastructure;

/// <summary>A throw-away redis-server on 127.0.0.1 (no persistence), started and stopped by the test (by PID).</summary>
public sealed class RedisInstance : IAsyncDisposable
{
    private readonly string[] _arguments;
    private Process? _process;

    /// <param name="arguments">Extra redis-server options (e.g. <c>--databases 256</c>).</param>
    public RedisInstance(params string[] arguments)
    {
        Port = FreePort();
        _arguments = arguments;
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000";

    /// <summary>Starts redis-server; after <see cref="KillAsync"/> it starts again on the same port.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: true } previous)
        {
            previous.Dispose();
        }

        var info = new ProcessStartInfo(Services.RedisServer ?? throw new InvalidOperationException("redis-server is not installed."),
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", .. _arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }

        throw new TimeoutException("redis-server did not start.");
    }

    /// <summary>kill -9.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
