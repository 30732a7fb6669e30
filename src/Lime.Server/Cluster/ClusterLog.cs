namespace Lime.Server.Cluster;

internal static partial class ClusterLog
{
    [LoggerMessage(3700, LogLevel.Error, "Node {Owner} refused this node's internal key: Lime:Auth:SigningKey differs between nodes")]
    public static partial void ForwardUnauthorized(ILogger logger, string owner);

    [LoggerMessage(3701, LogLevel.Warning, "A forward to {Owner} failed after it was sent (outcome unknown)")]
    public static partial void ForwardFailed(ILogger logger, string owner, Exception exception);
}
