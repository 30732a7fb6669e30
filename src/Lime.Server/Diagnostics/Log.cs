namespace Lime.Server.Diagnostics;

/// <summary>Every log message LIME writes, with stable event ids. Never logs tokens or message bodies.</summary>
public static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "LIME node {NodeId} starting: storage={Storage} ({Location}), fanout={Fanout}")]
    public static partial void Starting(ILogger logger, int nodeId, string storage, string location, FanoutProvider fanout);

    [LoggerMessage(1100, LogLevel.Error, "A room write batch could not be committed; its writes were refused")]
    public static partial void CommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(1101, LogLevel.Warning, "A batch of {Count} room writes failed; retrying each alone")]
    public static partial void BatchRetriedSingly(ILogger logger, int count, Exception exception);

    [LoggerMessage(1102, LogLevel.Warning, "A commit of {Count} room writes was not confirmed by every synchronous standby; refused as not confirmed")]
    public static partial void CommitNotConfirmed(ILogger logger, int count);

    [LoggerMessage(1103, LogLevel.Information, "PostgreSQL: {Message}")]
    public static partial void PostgresNotice(ILogger logger, string message);

    [LoggerMessage(1107, LogLevel.Warning, "PostgreSQL at {Location} does not answer yet (attempt {Attempt}): {Reason}; trying again in 1 s")]
    public static partial void PostgresNotReady(ILogger logger, string location, int attempt, string reason);

    [LoggerMessage(1104, LogLevel.Error, "SQLite checkpoint failed")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(1105, LogLevel.Warning, "SQLite checkpoint took {Milliseconds} ms")]
    public static partial void CheckpointSlow(ILogger logger, long milliseconds);

    [LoggerMessage(1106, LogLevel.Warning, "The room writer's housekeeping after a batch (SQLite: WAL restart checkpoint) failed")]
    public static partial void AfterBatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(1200, LogLevel.Error, "Delivering event {Room}/{Seq} failed")]
    public static partial void DeliveryFailed(ILogger logger, long room, long seq, Exception exception);

    [LoggerMessage(1201, LogLevel.Warning, "Subscribing to Redis channel {Channel} failed")]
    public static partial void FanoutSubscribeFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(1202, LogLevel.Warning, "Publishing to Redis failed; clients will fill the gap from the store")]
    public static partial void FanoutPublishFailed(ILogger logger, Exception exception);

    [LoggerMessage(1250, LogLevel.Warning, "Publishing the revocation of device {DeviceId} to Redis failed; other nodes refuse it when their cached answer expires and close its sockets on their next session check")]
    public static partial void RevocationPublishFailed(ILogger logger, long deviceId, Exception exception);

    [LoggerMessage(1251, LogLevel.Warning, "Checking the device sessions of this node's sockets failed; trying again next time")]
    public static partial void SessionRecheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(1300, LogLevel.Debug, "Socket {ConnectionId} opened for user {UserId} device {DeviceId}")]
    public static partial void SocketOpened(ILogger logger, string connectionId, long userId, long deviceId);

    [LoggerMessage(1301, LogLevel.Debug, "Socket {ConnectionId} closed ({CloseCode})")]
    public static partial void SocketClosed(ILogger logger, string connectionId, int closeCode);

    [LoggerMessage(1302, LogLevel.Error, "Socket request {Type} failed")]
    public static partial void RequestFailed(ILogger logger, string type, Exception exception);

    [LoggerMessage(1303, LogLevel.Warning, "Announcing the presence of user {UserId} failed")]
    public static partial void PresenceFailed(ILogger logger, long userId, Exception exception);

    [LoggerMessage(1400, LogLevel.Error, "Unhandled error on {Method} {Path}")]
    public static partial void UnhandledRequestError(ILogger logger, string method, string path, Exception exception);
}
