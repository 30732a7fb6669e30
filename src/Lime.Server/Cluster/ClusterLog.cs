namespace Lime.Server.Cluster;

internal static partial class ClusterLog
{
    [LoggerMessage(3700, LogLevel.Error, "Node {Owner} refused this node's internal key: Lime:Auth:SigningKey differs between nodes")]
    public static partial void ForwardUnauthorized(ILogger logger, string owner);

    [LoggerMessage(3701, LogLevel.Warning, "A forward to {Owner} failed after it was sent (outcome unknown)")]
    public static partial void ForwardFailed(ILogger logger, string owner, Exception exception);

    [LoggerMessage(3710, LogLevel.Information, "Took {Count} room partitions: holding {Held} of {Partitions} ({Nodes} nodes)")]
    public static partial void PartitionsTaken(ILogger logger, int count, int held, int partitions, int nodes);

    [LoggerMessage(3711, LogLevel.Information, "Let {Count} room partitions go: holding {Held} of {Partitions} ({Nodes} nodes)")]
    public static partial void PartitionsReleased(ILogger logger, int count, int held, int partitions, int nodes);

    [LoggerMessage(3712, LogLevel.Error, "The lease connection failed: dropped all {Held} room partitions at once (taken again when it reconnects)")]
    public static partial void LeaseConnectionLost(ILogger logger, int held, Exception exception);

    [LoggerMessage(3713, LogLevel.Error, "Another live node holds node slot {NodeId}: Lime:NodeId must be unique; this node owns no rooms and forwards every write")]
    public static partial void NodeSlotTaken(ILogger logger, int nodeId);
}
