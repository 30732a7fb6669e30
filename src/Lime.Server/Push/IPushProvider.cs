namespace Lime.Server.Push;

/// <summary>
/// One push service (FCM, APNs, Web Push, webhook). A call makes at most one request to the service (plus, where
/// the service needs one, a cached credential exchange); it never throws for what the service answered or for a
/// network failure — the result says what happened — and throws only when <c>ct</c> is cancelled.
/// Thread-safe: called concurrently.
/// </summary>
public interface IPushProvider
{
    /// <summary>The <see cref="Lime.Protocol.PushKinds">target kind</see> it serves.</summary>
    string Kind { get; }

    Task<PushResult> SendAsync(PushTarget target, PushNotification notification, CancellationToken ct);
}
