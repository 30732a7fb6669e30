using System.Globalization;
using StackExchange.Redis;

namespace Lime.Server.Redis;

/// <summary>Every Redis channel and key LIME uses, in one place: the wire layout is readable here.</summary>
public static class RedisKeys
{
    /// <summary>Committed events and ephemeral frames of one room; a node subscribes while it has a local member.</summary>
    public static RedisChannel Room(long roomId) => RedisChannel.Literal("lime:room:" + roomId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Frames for one user's devices (membership changes that add them to a room, presence, own read state).</summary>
    public static RedisChannel User(long userId) => RedisChannel.Literal("lime:user:" + userId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Ended device sessions (logout, refresh reuse, device limit, admin): every node subscribes while it runs.</summary>
    public static readonly RedisChannel Revocations = RedisChannel.Literal("lime:revoked");

    /// <summary>Sorted set: user id → the newest activity (Unix ms) on any node.</summary>
    public static readonly RedisKey PresenceSeen = "lime:presence:seen";

    /// <summary>Set of user ids currently online (a transition happens when a node adds or removes one).</summary>
    public static readonly RedisKey PresenceOnline = "lime:presence:online";

    /// <summary>Hash: node id → "url|connections|unix ms of the last heartbeat".</summary>
    public static readonly RedisKey Nodes = "lime:nodes";
}
