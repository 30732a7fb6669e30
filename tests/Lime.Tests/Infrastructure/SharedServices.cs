using System.Collections.Concurrent;
using System.Threading.Channels;
using Lime.Server;
using Lime.Server.Storage.Postgres;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

[assembly: AssemblyFixture(typeof(Lime.Tests.Infrastructure.SharedServices))]

namespace Lime.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL and one Redis server for the whole test assembly (an xunit assembly fixture), started on first use
/// only (a run that needs neither starts neither) and stopped when the assembly's tests end. Each server under test
/// takes its own slice: a database copied from a migrated template (CREATE DATABASE … TEMPLATE, no migration per
/// test) and a Redis logical database with its own pub/sub channel prefix, so parallel tests never see each other's
/// rooms, users or presence. Slices are dropped (database) or flushed and reused (Redis) when their server is disposed.
/// </summary>
public sealed class SharedServices : IAsyncDisposable
{
    private const string Template = "lime_template";
    private const int RedisDatabases = 512;

    private static readonly Lazy<Task<PostgresInstance>> Postgres = new(StartPostgresAsync);
    private static readonly Lazy<Task<RedisInstance>> Redis = new(StartRedisAsync);
    private static readonly Lazy<Task<ConnectionMultiplexer>> RedisAdmin = new(async () =>
        await ConnectionMultiplexer.ConnectAsync((await Redis.Value).Configuration + ",allowAdmin=true"));
    private static readonly ConcurrentQueue<int> FreeRedisDatabases = new(Enumerable.Range(0, RedisDatabases));

    // A few databases copied ahead of need (a copy takes ~0.1-1 s here), so a test rarely waits for one; drops run
    // one at a time behind the tests. Both on the thread pool, started by the first request.
    private const int ReadyDatabases = 3;
    private static readonly Channel<string> Ready = Channel.CreateBounded<string>(ReadyDatabases);
    private static readonly Channel<string> ToDrop = Channel.CreateUnbounded<string>();
    private static readonly Lazy<Task> Copier = new(() => Task.Run(CopyAheadAsync));
    private static readonly Lazy<Task> Dropper = new(() => Task.Run(DropBehindAsync));

    /// <summary>A fresh, migrated PostgreSQL database; its connection string.</summary>
    public static async Task<string> NewDatabaseAsync()
    {
        await Postgres.Value;
        _ = Copier.Value;
        return await Ready.Reader.ReadAsync();
    }

    /// <summary>Drops a database made by <see cref="NewDatabaseAsync"/> (soon, not before returning).</summary>
    public static Task DropDatabaseAsync(string connectionString)
    {
        _ = Dropper.Value;
        ToDrop.Writer.TryWrite(new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!);
        return Task.CompletedTask;
    }

    private static async Task CopyAheadAsync()
    {
        var pg = await Postgres.Value;
        while (true)
        {
            string database;
            try
            {
                database = await pg.CreateDatabaseAsync(Template);
            }
            catch (Npgsql.NpgsqlException e)
            {
                Ready.Writer.TryComplete(e); // the waiting test fails with the reason
                return;
            }

            await Ready.Writer.WriteAsync(database);
        }
    }

    private static async Task DropBehindAsync()
    {
        var pg = await Postgres.Value;
        await foreach (string name in ToDrop.Reader.ReadAllAsync())
        {
            try
            {
                await pg.DropDatabaseAsync(name);
            }
            catch (Npgsql.NpgsqlException)
            {
                // Best effort (the server is thrown away at the end of the run anyway).
            }
        }
    }

    /// <summary>A Redis slice: a StackExchange.Redis configuration string with its own logical database and channel prefix.</summary>
    public static async Task<RedisSlice> NewRedisSliceAsync()
    {
        var redis = await Redis.Value;
        if (!FreeRedisDatabases.TryDequeue(out int database))
        {
            throw new InvalidOperationException($"More than {RedisDatabases} test servers on Redis at once.");
        }

        return new RedisSlice(database, $"{redis.Configuration},defaultDatabase={database},channelPrefix=t{database}:");
    }

    /// <summary>Empties the slice's database and gives it back.</summary>
    public static async Task ReleaseRedisSliceAsync(RedisSlice slice)
    {
        var admin = await RedisAdmin.Value;
        await admin.GetServers()[0].FlushDatabaseAsync(slice.Database);
        FreeRedisDatabases.Enqueue(slice.Database);
    }

    private static async Task<PostgresInstance> StartPostgresAsync()
    {
        await PostgresInstance.ReapOrphansAsync();
        var pg = await PostgresInstance.StartPrimaryAsync();
        await pg.ExecuteAsync($"CREATE DATABASE {Template}");

        // Migrated once; every test database is a copy. Unpooled, so no session is left on the template (a copy needs none).
        var options = Options.Create(new LimeOptions
        {
            Storage = new StorageOptions { Provider = StorageProvider.Postgres, PostgresConnectionString = pg.ConnectionString(Template) + ";Pooling=false" },
        });
        using (var db = new PostgresDatabase(options))
        {
            db.Migrate();
        }

        return pg;
    }

    private static async Task<RedisInstance> StartRedisAsync()
    {
        var redis = new RedisInstance("--databases", RedisDatabases.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await redis.StartAsync();
        return redis;
    }

    public async ValueTask DisposeAsync()
    {
        ToDrop.Writer.TryComplete();
        if (RedisAdmin.IsValueCreated)
        {
            await (await RedisAdmin.Value).DisposeAsync();
        }

        if (Redis.IsValueCreated)
        {
            await (await Redis.Value).DisposeAsync();
        }

        if (Postgres.IsValueCreated)
        {
            await (await Postgres.Value).DisposeAsync();
        }
    }
}

/// <summary>One server's share of the shared Redis: logical database <see cref="Database"/>, its own channel prefix.</summary>
public sealed record RedisSlice(int Database, string Configuration);

/// <summary>The shared PostgreSQL server (<see cref="SharedServices"/>); each test class takes its own database.</summary>
public static class SharedPostgres
{
    public static Task<string> NewDatabaseAsync() => SharedServices.NewDatabaseAsync();
}
