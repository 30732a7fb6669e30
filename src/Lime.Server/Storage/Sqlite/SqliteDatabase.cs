using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Lime.Server.Storage.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Lime.Server.Storage.Sqlite;

/// <summary>
/// The SQLite file: opens connections with LIME's pragmas and applies the numbered migrations at start-up.
/// WAL journal + synchronous=FULL: a committed transaction survives a process kill or power loss.
/// One process owns the file (the embedded default is a single node).
/// </summary>
public sealed class SqliteDatabase : ISqlDatabase
{
    /// <summary>The newest schema this build understands; it refuses to start against a newer one.</summary>
    public const int SchemaVersion = 10;

    private readonly string _connectionString;

    public SqliteDatabase(IOptions<LimeOptions> options)
    {
        string dir = Path.GetFullPath(options.Value.Storage.DataDirectory);
        Directory.CreateDirectory(dir);
        FilePath = Path.Combine(dir, "lime.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string FilePath { get; }

    public SqlDialect Dialect => SqlDialect.Sqlite;

    public string Location => FilePath;

    public DbConnection OpenConnection() => Open();

    /// <summary>SQLite opens in-process without waiting for anyone: nothing to gain from async.</summary>
    public ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct) => ValueTask.FromResult<DbConnection>(Open());

    /// <summary>How long a statement waits for another connection's lock before it fails.</summary>
    public const int BusyTimeoutMs = 30_000;

    /// <summary>Set by <see cref="SqliteCheckpointer"/> after a PASSIVE checkpoint; taken by the room writer.</summary>
    public bool WalRestartWanted
    {
        get => Volatile.Read(ref _walRestartWanted);
        set => Volatile.Write(ref _walRestartWanted, value);
    }

    private bool _walRestartWanted;

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = $"PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={BusyTimeoutMs}; PRAGMA wal_autocheckpoint=0;"; // SqliteCheckpointer
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Creates or upgrades the schema; throws if the file is from a newer LIME.</summary>
    public void Migrate()
    {
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }

        long current = Scalar(connection, "PRAGMA user_version;");
        if (current > SchemaVersion)
        {
            throw new InvalidOperationException(
                $"The database {FilePath} has schema version {current}, newer than this LIME build understands ({SchemaVersion}). Refusing to start.");
        }

        var assembly = typeof(SqliteDatabase).Assembly;
        for (int version = (int)current + 1; version <= SchemaVersion; version++)
        {
            string sql = ReadMigration(assembly, version);
            using var tx = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = sql + $"\nPRAGMA user_version = {version.ToString(CultureInfo.InvariantCulture)};";
            command.ExecuteNonQuery();
            tx.Commit();
        }
    }

    private static string ReadMigration(Assembly assembly, int version)
    {
        string prefix = $"Lime.Sqlite.{version:D3}_";
        string name = assembly.GetManifestResourceNames().Single(n => n.StartsWith(prefix, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
