namespace Lime.Server.Admin;

internal static partial class AdminLog
{
    [LoggerMessage(3700, LogLevel.Error, "Recording the admin call {Action} in admin_audit failed")]
    public static partial void AuditFailed(ILogger logger, string action, Exception exception);

    [LoggerMessage(3701, LogLevel.Warning, "Admin {AdminId}: {Action} on {Target}")]
    public static partial void Acted(ILogger logger, long adminId, string action, string target);

    [LoggerMessage(3702, LogLevel.Information, "Account {UserId} deleted")]
    public static partial void AccountDeleted(ILogger logger, long userId);

    [LoggerMessage(3710, LogLevel.Error, "A retention pass failed")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(3711, LogLevel.Information, "Retention removed {Events} events ({Messages} messages) from room {RoomId}")]
    public static partial void RetentionRemoved(ILogger logger, long roomId, long events, long messages);
}
