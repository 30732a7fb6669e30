namespace Lime.Server.Push;

/// <summary>
/// One push to one device, provider-neutral. <see cref="Key"/> is the idempotency key: the same notification
/// always has the same key (a redelivery never makes a new one), and providers pass it on where the service has a
/// place for it. <see cref="CollapseId"/> groups notifications the device may replace with the newest (per room, or
/// "digest" for a digest spanning rooms). <see cref="Count"/> is 1 for a message, the number of new messages for a digest.
/// </summary>
public sealed record PushNotification(
    string Key,
    string CollapseId,
    long Room,
    long Seq,
    string Title,
    string Body,
    string? Sender,
    long Count,
    long Badge);
