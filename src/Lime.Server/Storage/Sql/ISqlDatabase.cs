using System.Data.Common;

namespace Lime.Server.Storage.Sql;

/// <summary>A SQL database LIME keeps its state in: connections with LIME's settings, and the schema migrations.</summary>
public interface ISqlDatabase
{
    SqlDialect Dialect { get; }

    /// <summary>Where the data lives, for the start-up log (a path or host/database, never a password).</summary>
    string Location { get; }

    /// <summary>An open connection (pooled), for code on a thread of its own (the room writer) and start-up.</summary>
    DbConnection OpenConnection();

    /// <summary>
    /// An open connection (pooled), for request paths: never blocks a thread-pool thread while the pool is exhausted
    /// (a sync wait there starves the very continuations that would return connections to the pool).
    /// </summary>
    ValueTask<DbConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>Creates or upgrades the schema; throws if the database is from a newer LIME.</summary>
    void Migrate();
}
