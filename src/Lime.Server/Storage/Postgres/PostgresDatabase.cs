using System.Data.Common;
using System.Diagnostics;
using System.Reflection;
using Lime.Server.Diagnostics;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Lime.Server.Storage.Postgres;

/// <summary>
/// PostgreSQL: one pooled <see cref="NpgsqlDataSource"/> per process, numbered migrations applied at start-up under
/// an advisory lock (several nodes may start at once), refusing a database whose schema is newer than this build.
/// A server that does not answer yet at start (refused, starting up, name not resolvable) is tried again every second
/// for up to <see cref="StorageOptions.StartupTimeoutSeconds"/>, so nodes started together with PostgreSQL wait for it.
/// </summary>
public sealed class PostgresDatabase : ISqlDatabase, IDisposable
{
    /// <summary>The newest schema this build understands.</summary>
    public const int SchemaVersion = 10;
    private const long MigrationLock = 0x4C494D45; // "LIME"

    /// <summary>Connections per node unless the connection string sets "Maximum Pool Size".</summary>
    public const int DefaultMaxPoolSize = 25;

    private readonly ILogger _logger;
    private readonly TimeSpan _startupTimeout;

    public PostgresDatabase(IOptions<LimeOptions> options, ILogger<PostgresDatabase>? logger = null)
    {
        _logger = logger ?? (ILogger)Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _startupTimeout = TimeSpan.FromSeconds(options.Value.Storage.StartupTimeoutSeconds);
        string connectionString = options.Value.Storage.PostgresConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("Lime:Storage:PostgresConnectionString is required when Lime:Storage:Provider is 'postgres'.");
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Location = $"{builder.Host}:{builder.Port}/{builder.Database}";
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            // The stores run a fixed set of statement texts: prepare them server-side on first reuse (saves a parse and
            // plan per statement). Set "Max Auto Prepare=0" behind a transaction-mode pooler that cannot keep them.
            builder.MaxAutoPrepare = 64;
        }

        if (!connectionString.Contains("Pool Size", StringComparison.OrdinalIgnoreCase))
        {
            // Npgsql's default (100 per process) lets three nodes exhaust PostgreSQL's default max_connections (100) in a
            // connect storm ("53300: too many clients already", seen in the 3-node benchmark). A bounded pool makes
            // requests queue for a connection instead; size nodes × Maximum Pool Size below max_connections.
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        Source = NpgsqlDataSource.Create(builder);
    }

    public NpgsqlDataSource Source { get; }

    public SqlDialect Dialect => SqlDialect.Postgres;

    public string Location { get; }

    public DbConnection OpenConnection() => Source.OpenConnection();

    public async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct) => await Source.OpenConnectionAsync(ct);

    public void Migrate()
    {
        using var connection = OpenAtStartup();
        Execute(connection, null, $"SELECT pg_advisory_lock({MigrationLock})");
        try
        {
            Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
            using var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version", connection);
            int current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            if (current > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"The database {Location} has schema version {current}, newer than this LIME build understands ({SchemaVersion}). Refusing to start.");
            }

            var assembly = typeof(PostgresDatabase).Assembly;
            for (int version = current + 1; version <= SchemaVersion; version++)
            {
                using var tx = connection.BeginTransaction();
                Execute(connection, tx, ReadMigration(assembly, version));
                Execute(connection, tx, $"DELETE FROM schema_version; INSERT INTO schema_version VALUES ({version})");
                tx.Commit();
            }
        }
        finally
        {
            Execute(connection, null, $"SELECT pg_advisory_unlock({MigrationLock})");
        }
    }

    /// <summary>
    /// The first connection, tried again every second while the failure is transient (Npgsql's own judgement: a refused
    /// or reset connection, a timeout, "the database system is starting up") and the start-up timeout has not passed.
    /// Anything else (a wrong password, a missing database) fails at once.
    /// </summary>
    private NpgsqlConnection OpenAtStartup()
    {
        var elapsed = Stopwatch.StartNew();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return Source.OpenConnection();
            }
            catch (NpgsqlException e) when (e.IsTransient)
            {
                var left = _startupTimeout - elapsed.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    throw new InvalidOperationException(
                        $"PostgreSQL at {Location} did not answer within Lime:Storage:StartupTimeoutSeconds ({_startupTimeout.TotalSeconds:0} s, {attempt} attempts): {e.Message}", e);
                }

                Log.PostgresNotReady(_logger, Location, attempt, e.Message);
                Thread.Sleep(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
            }
        }
    }

    public void Dispose() => Source.Dispose();

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, tx);
        command.ExecuteNonQuery();
    }

    private static string ReadMigration(Assembly assembly, int version)
    {
        string prefix = $"Lime.Postgres.{version:D3}_";
        string name = assembly.GetManifestResourceNames().Single(n => n.StartsWith(prefix, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
