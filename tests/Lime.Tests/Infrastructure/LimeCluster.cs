using Lime.Client;
using Lime.Protocol;
using Npgsql;

namespace Lime.Tests.Infrastructure;

/// <summary>
/// The production topology on loopback, all real processes: PostgreSQL primary + synchronous standby, Redis, and
/// N LIME nodes (child processes) sharing them, with room ownership (each node an internal URL; pass
/// <c>Lime__Cluster__Ownership=off</c> for the old every-node-writes-every-room mode). Everything it started is stopped by <see cref="DisposeAsync"/>.
/// </summary>
public sealed class LimeCluster : IAsyncDisposable
{
    private readonly Dictionary<string, string> _settings;
    private readonly string _dataRoot = Path.Combine(Path.GetTempPath(), "lime-cluster-" + Guid.NewGuid().ToString("N")[..8]);

    private LimeCluster(PostgresInstance primary, PostgresInstance standby, RedisInstance redis, string database, Dictionary<string, string> settings)
    {
        Primary = primary;
        Standby = standby;
        Redis = redis;
        Database = database;
        _settings = settings;
    }

    public PostgresInstance Primary { get; private set; }
    public PostgresInstance Standby { get; }
    public RedisInstance Redis { get; }
    public string Database { get; }
    public List<ServerProcess> Nodes { get; } = [];

    public string PrimaryConnectionString => Primary.ConnectionString(Database);
    public string StandbyConnectionString => Standby.ConnectionString(Database);

    public static async Task<LimeCluster> StartAsync(int nodes = 3, IDictionary<string, string>? settings = null)
    {
        await PostgresInstance.ReapOrphansAsync();
        var primary = await PostgresInstance.StartPrimaryAsync(synchronousStandby: "standby1");
        var standby = await PostgresInstance.StartStandbyAsync(primary, "standby1");
        var redis = new RedisInstance();
        await redis.StartAsync();
        string cs = await primary.CreateDatabaseAsync();
        string database = new NpgsqlConnectionStringBuilder(cs).Database!;
        var all = new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["Lime__Storage__Provider"] = "postgres",
            ["Lime__Fanout__Provider"] = "redis",
            ["Lime__Redis__Configuration"] = redis.Configuration,
        };

        // One signing key for every node: a token issued by one node is accepted by the others (without it each node
        // generates its own key into its data directory, and a client reconnecting to another node gets 401).
        all.TryAdd("Lime__Auth__SigningKey", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        var cluster = new LimeCluster(primary, standby, redis, database, all);
        try
        {
            for (int i = 0; i < nodes; i++)
            {
                cluster.Nodes.Add(cluster.NewNode(i + 1));
            }

            await Task.WhenAll(cluster.Nodes.Select(n => n.StartAsync()));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync(); // never leave processes behind
            throw;
        }
    }

    /// <summary>A node process (not started) pointed at the current primary.</summary>
    public ServerProcess NewNode(int nodeId)
    {
        var settings = new Dictionary<string, string>(_settings)
        {
            ["Lime__NodeId"] = nodeId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Lime__Storage__PostgresConnectionString"] = Primary.ConnectionString(Database),
            ["Lime__Storage__DataDirectory"] = Path.Combine(_dataRoot, "node" + nodeId),
        };

        // Room ownership (docs/operations.md): each node's internal listener for forwarded writes, unless turned off.
        settings.TryAdd("Lime__Cluster__InternalUrl", $"http://127.0.0.1:{ServerProcess.FreePort()}");
        return new ServerProcess(Path.Combine(_dataRoot, "node" + nodeId), settings);
    }

    /// <summary>Makes <paramref name="promoted"/> the primary that new nodes use (after a failover).</summary>
    public void UsePrimary(PostgresInstance promoted) => Primary = promoted;

    public HttpClient Http(int node) => new() { BaseAddress = Nodes[node].BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public async Task<(LimeHttpClient Http, TokenResponse Tokens)> NewUserAsync(int node, string prefix = "u")
    {
        var http = new LimeHttpClient(Http(node));
        var tokens = await http.RegisterAsync(new RegisterRequest(prefix + Guid.NewGuid().ToString("N")[..10], "correct horse battery"));
        return (http, tokens);
    }

    public Task<LimeSocket> ConnectAsync(int node, string token) =>
        LimeSocket.ConnectAsync(new LimeHttpClient(Http(node)).WebSocketUri(), token, new LimeSocketOptions { HeartbeatInterval = TimeSpan.FromSeconds(2) });

    /// <summary>All message events of a room in one database (primary or standby), in seq order.</summary>
    public static async Task<List<(long Seq, string Id, string? ClientMsgId)>> EventsAsync(string connectionString, long room)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT seq, id, client_msg_id FROM events WHERE room_id = @room ORDER BY seq", connection);
        command.Parameters.AddWithValue("room", room);
        var list = new List<(long, string, string?)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            list.Add((reader.GetInt64(0), reader.GetInt64(1).ToString(System.Globalization.CultureInfo.InvariantCulture), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        await Redis.DisposeAsync();
        await Standby.DisposeAsync();
        await Primary.DisposeAsync();
        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
