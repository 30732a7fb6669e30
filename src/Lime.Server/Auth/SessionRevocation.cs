using Lime.Protocol;
using Lime.Server.Realtime;

namespace Lime.Server.Auth;

/// <summary>What a node does when it learns that a device session ended (here, or from another node).</summary>
public sealed class SessionRevocation(DeviceSessions sessions, ConnectionRegistry connections)
{
    /// <summary>
    /// Refuses the device's tokens on this node from now on (the cache entry becomes a revocation, whatever it said)
    /// and closes its sockets here with 4001 <paramref name="reason"/>. A socket whose upgrade was being accepted
    /// meanwhile checks the session again once registered (<see cref="SocketSession"/>), so it cannot slip through.
    /// </summary>
    public void ApplyHere(long deviceId, string reason)
    {
        sessions.MarkRevoked(deviceId);
        foreach (var connection in connections.OfDevice(deviceId))
        {
            connection.Close(CloseCodes.SessionRevoked, reason, TimeSpan.FromSeconds(2));
        }
    }
}
