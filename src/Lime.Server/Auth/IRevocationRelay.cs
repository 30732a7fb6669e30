namespace Lime.Server.Auth;

/// <summary>
/// Tells the other nodes that a device session ended (logout, refresh reuse, device limit, an administrator), so each
/// refuses its tokens and closes its sockets at once (<see cref="SessionRevocation.ApplyHere"/>). The revocation is
/// already committed to the store when it is published, so this is the fast path, not the record: at most once. A
/// node that misses one (Redis down at that moment) still refuses the tokens once its cached answer expires
/// (<c>Lime:Auth:SessionCacheSeconds</c>) and closes the device's sockets on its next check of them
/// (<see cref="SessionRecheck"/>, every <c>Lime:Auth:SessionRecheckSeconds</c>).
/// </summary>
public interface IRevocationRelay
{
    /// <summary>Hands the revocation over for the other nodes; never blocks on them.</summary>
    void Publish(long deviceId, string reason);
}

/// <summary>One node (the memory fanout): there is nobody else to tell.</summary>
public sealed class SingleNodeRevocationRelay : IRevocationRelay
{
    public void Publish(long deviceId, string reason)
    {
    }
}
