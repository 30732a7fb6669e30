using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Lime.Server.Storage.Sql;

/// <summary>
/// The few places where SQLite and PostgreSQL SQL differ. Everything else in the stores is one copy of the SQL.
/// </summary>
public sealed class SqlDialect
{
    public static readonly SqlDialect Sqlite = new(
        "sqlite",
        parameter => $"(SELECT value FROM json_each({parameter}))",
        ids => JsonSerializer.Serialize(ids, StorageJsonContext.Default.Int64Array),
        lockRoom: "",
        e => e is SqliteException { SqliteErrorCode: 19 });

    public static readonly SqlDialect Postgres = new(
        "postgres",
        parameter => $"(SELECT unnest({parameter}))",
        ids => ids,
        lockRoom: " FOR UPDATE OF r",
        e => e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation });

    private readonly Func<string, string> _idList;
    private readonly Func<long[], object> _idListValue;
    private readonly Func<DbException, bool> _isUniqueViolation;

    private SqlDialect(string name, Func<string, string> idList, Func<long[], object> idListValue, string lockRoom, Func<DbException, bool> isUniqueViolation)
    {
        Name = name;
        _idList = idList;
        _idListValue = idListValue;
        LockRoom = lockRoom;
        _isUniqueViolation = isUniqueViolation;
    }

    public string Name { get; }

    /// <summary>Appended to a SELECT of a room row (alias r) inside the writer's transaction: locks it where several
    /// processes write (PostgreSQL); nothing where one process is the only writer (SQLite).</summary>
    public string LockRoom { get; }

    /// <summary>Appended to a SELECT inside the writer's transaction to lock the rows read (PostgreSQL); nothing on SQLite, whose writer is alone.</summary>
    public string ForUpdate => ReferenceEquals(this, Postgres) ? " FOR UPDATE" : "";

    /// <summary>A subquery yielding the ids passed in <paramref name="parameter"/> (use with IN).</summary>
    public string IdList(string parameter) => _idList(parameter);

    /// <summary>The parameter value for <see cref="IdList"/>.</summary>
    public object IdListValue(IEnumerable<long> ids) => _idListValue([.. ids]);

    public bool IsUniqueViolation(DbException e) => _isUniqueViolation(e);
}
