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
/// LIME hosted in-process on the real HTTP/WebSocket stack (TestServer), with its own temporary data directory, on
/// one of the two backends (<see cref="TestBackend"/>; SQLite unless told otherwise). On PostgreSQL+Redis it takes a
/// fresh database and a Redis slice of the assembly's shared servers (<see cref="SharedServices"/>) when it starts,
/// and gives them back when disposed. Settings can be overridden per instance (they win over the backend's); defaults
/// lift the send rate limit and the auth throttles (per address and per account) and lower the password hashing cost
/// so tests that create many users and messages stay quick.
/// </summary>
public sealed class LimeServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Dictionary<string, string?> _overrides;
    private string? _database;
    private RedisSlice? _redis;
    private IHost? _host;
    private DisposalSignal? _disposal;

    public LimeServer(IDictionary<string, string?>? settings = null)
        : this(TestBackend.Sqlite, settings)
    {
    }

    public LimeServer(TestBackend backend, IDictionary<string, string?>? settings = null)
    {
        LeftoverServers.Track(this);
        Backend = backend;
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
            ["Lime:Limits:RoomsPerHour"] = "1000000",
            ["Lime:Realtime:MaxSocketsPerUser"] = "1000000",
        };
        _overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        foreach (var (key, value) in _overrides)
        {
            _settings[key] = value;
        }
    }

    public TestBackend Backend { get; }

    public string DataDirectory { get; }

    /// <summary>Extra host configuration (e.g. a capturing logger), applied after the settings.</summary>
    public Action<IWebHostBuilder>? ConfigureHost { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        if (Backend == TestBackend.PostgresRedis && _database is null)
        {
            // The host is built synchronously (on first use of Server or a client): take the slices here, once.
            // On the thread pool, so no test synchronization context is needed to finish them.
            _database = Task.Run(SharedServices.NewDatabaseAsync).WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
            _redis = Task.Run(SharedServices.NewRedisSliceAsync).WaitAsync(TimeSpan.FromMinutes(1)).GetAwaiter().GetResult();
            var backend = new Dictionary<string, string?>
            {
                ["Lime:Storage:Provider"] = "postgres",
                ["Lime:Storage:PostgresConnectionString"] = _database,
                ["Lime:Fanout:Provider"] = "redis",
                ["Lime:Redis:Configuration"] = _redis.Configuration,
            };
            foreach (var (key, value) in backend.Where(kv => !_overrides.ContainsKey(kv.Key)))
            {
                _settings[key] = value;
            }
        }

        builder.UseEnvironment("Test");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
        // No console lifetime: a host that is still running when the test process exits must not hook ProcessExit
        // and wait there for its own shutdown (xunit v3 then reports foreground threads and kills the run).
        builder.ConfigureServices(services => services.AddSingleton<IHostLifetime, TestHostLifetime>());
        builder.ConfigureServices(services => services.AddSingleton<DisposalSignal>());
        ConfigureHost?.Invoke(builder);
    }

    private sealed class TestHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        _host = host;
        _disposal = host.Services.GetRequiredService<DisposalSignal>(); // created by the container, so disposed by it
        return host;
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

    private static bool OnlyDisposed(Exception e) => e switch
    {
        ObjectDisposedException => true,
        AggregateException a => a.InnerExceptions.All(OnlyDisposed),
        _ => false,
    };

    public override async ValueTask DisposeAsync()
    {
        LeftoverServers.Forget(this);

        // dotnet/aspnetcore#40271: with a minimal-hosting Program the factory's dispose stops the host while the app's
        // own Run() stops and disposes it too; under load the two stops race and one meets disposed services
        // (ObjectDisposedException from a hosted service or the container). Stop through the application lifetime
        // instead, so Run() stops the host once and disposes it, and wait for that; the factory's own stop then only
        // finds a host that is already stopped and disposed.
        if (_host is not null && _disposal is not null && !_disposal.Disposed.IsCompleted)
        {
            _host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            await _disposal.Disposed.WaitAsync(TimeSpan.FromMinutes(1));
        }

        try
        {
            await base.DisposeAsync();
        }
        catch (Exception e) when (_host is not null && OnlyDisposed(e))
        {
            // The second stop of the already disposed host (see above).
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_database is not null)
        {
            await SharedServices.DropDatabaseAsync(_database).WaitAsync(TimeSpan.FromMinutes(1));
        }

        if (_redis is not null)
        {
            await SharedServices.ReleaseRedisSliceAsync(_redis).WaitAsync(TimeSpan.FromMinutes(1));
        }

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

/// <summary>Completes when the server's container is disposed (the host's shutdown is over).</summary>
internal sealed class DisposalSignal : IDisposable
{
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Disposed => _disposed.Task;

    public void Dispose() => _disposed.TrySetResult();
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
