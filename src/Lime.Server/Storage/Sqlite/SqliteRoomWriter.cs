using Lime.Server.Chat;
using Lime.Server.Fanout;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;

namespace Lime.Server.Storage.Sqlite;

/// <summary>
/// The room writer on SQLite: this process is the only writer, and a COMMIT in WAL mode with synchronous=FULL is
/// durable when it returns.
/// </summary>
public sealed class SqliteRoomWriter(SqliteDatabase db, IFanout fanout, Snowflake ids, IOptions<LimeOptions> options, ILogger<SqliteRoomWriter> log)
    : RoomWriter(db, fanout, ids, options, log);
