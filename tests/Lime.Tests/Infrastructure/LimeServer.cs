using System.Net.WebSockets;
using Lime.Client;
using Lime.Protocol;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lime.Tests.Infrastructure;

/// <summary>
/// LIME hosted in-process on the real HTTP/WebSocket stack (TestServer), with its own temporary data directory.
/// Settings can be overridden per instance; defaults lift the send rate limit and the
/// auth throttles (per address and per account) and lower the password hashing cost
/// so tests that create many users and messages stay quick.
/// </summary>
public sealed class LimeServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public LimeServer(IDictionary<string, string?>? settings = null)
    {
        LeftoverServers.Track(this);
        DataDirectory = Path.Combine(Path.GetTempPath(), "lime-test-" + Guid.NewGuid().ToString("N"));
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
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string DataDirectory { get; }

    /// <summary>Extra host configuration (e.g. a capturing logger), applied after the settings.</summary>
    public Action<IWebHostBuilder>? ConfigureHost { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Test");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
        // No console lifetime: a host that is still running when the test process exits must not hook ProcessExit
        // and wait there for its own shutdown (xunit v3 then reports foreground threads and kills the run).
        builder.ConfigureServices(services => services.AddSingleton<IHostLifetime, TestHostLifetime>());
        ConfigureHost?.Invoke(builder);
    }

    private sealed class TestHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A REST client for a new user (registered with a unique name).</summary>
    public async Task<TestUser> NewUserAsync(string? prefix = null)
    {
        var http = new LimeHttpClient(CreateClient());
        string name = (prefix ?? "u") + Guid.NewGuid().ToString("N")[..10];
        var tokens = await http.RegisterAsync(new RegisterRequest(name, "correct horse battery", DisplayName: name, DeviceName: "test"));
        return new TestUser(this, http, tokens);
    }

    /// <summary>Opens a socket on the in-memory server (token in the Authorization header unless told otherwise).</summary>
    public Task<LimeSocket> ConnectAsync(string? accessToken, string? origin = null, bool tokenInQuery = false, TimeSpan? heartbeat = null)
    {
        var options = new LimeSocketOptions
        {
            Origin = origin,
            TokenInQuery = tokenInQuery,
            HeartbeatInterval = heartbeat ?? TimeSpan.Zero,
            Connector = async (uri, headers, ct) =>
            {
                var client = Server.CreateWebSocketClient();
                client.ConfigureRequest = request =>
                {
                    foreach (var (key, value) in headers)
                    {
                        request.Headers[key] = value;
                    }
                };
                return await client.ConnectAsync(uri, ct);
            },
        };
        var uri = new Uri(Server.BaseAddress, "ws");
        return LimeSocket.ConnectAsync(uri, accessToken, options);
    }

    public override async ValueTask DisposeAsync()
    {
        LeftoverServers.Forget(this);
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
}

/// <summary>A registered user with a REST client and its tokens.</summary>
public sealed record TestUser(LimeServer Server, LimeHttpClient Http, TokenResponse Tokens)
{
    public long Id => Tokens.User.Id;

    public Task<LimeSocket> ConnectAsync() => Server.ConnectAsync(Tokens.AccessToken);

    /// <summary>Logs in again: a second device of the same user.</summary>
    public async Task<TestUser> NewDeviceAsync(string deviceName = "second")
    {
        var http = new LimeHttpClient(Server.CreateClient());
        var tokens = await http.LoginAsync(new LoginRequest(Tokens.User.Username, "correct horse battery", deviceName));
        return this with { Http = http, Tokens = tokens };
    }
}
