using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Lime.Web.Tests.Infrastructure;

/// <summary>
/// LIME in-process on a real Kestrel port on 127.0.0.1 (browsers need a real socket), with its own temporary data
/// directory, cheap password hashing, raised send limits, and this port's origin on the WebSocket allow-list.
/// It serves the web client built by the server project (webapp/ next to the test assembly).
/// </summary>
public sealed class WebServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public WebServer(IDictionary<string, string?>? settings = null)
    {
        Port = FreePort();
        DataDirectory = Path.Combine(Path.GetTempPath(), "lime-web-test-" + Guid.NewGuid().ToString("N"));
        _settings = new Dictionary<string, string?>
        {
            ["Lime:Storage:DataDirectory"] = DataDirectory,
            ["Lime:Auth:PasswordIterations"] = "1000",
            ["Lime:Limits:SendsPerSecond"] = "1000000",
            ["Lime:Limits:SendBurst"] = "1000000",
            ["Lime:Auth:LoginsPerAddressPerMinute"] = "1000000",
            ["Lime:Auth:RegistrationsPerAddressPerHour"] = "1000000",
            ["Lime:Auth:RefreshesPerAddressPerMinute"] = "1000000",
            ["Lime:Auth:AccountAttemptsPerMinute"] = "1000000",
            ["Lime:Limits:RoomsPerHour"] = "1000000",
            ["Lime:Realtime:MaxSocketsPerUser"] = "1000000",
            ["Lime:Realtime:AllowedOrigins:0"] = Origin,
            ["Lime:Realtime:AllowedOrigins:1"] = $"http://localhost:{Port}",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "webapp", "index.html")))
        {
            throw new InvalidOperationException(
                "The web client is not built (webapp/index.html is missing next to the tests). The server build runs npm; is npm installed?");
        }

        UseKestrel(o => o.Listen(IPAddress.Loopback, Port));
        StartServer();
    }

    public int Port { get; }
    public string DataDirectory { get; }
    public string Origin => $"http://127.0.0.1:{Port}";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Test");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: temp files.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
