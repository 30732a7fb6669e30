namespace Lime.Protocol;

// Push notification REST bodies (see docs/protocol.md, "Push notifications"). JSON names are snake_case.

/// <summary>Kinds of push targets a device can register: the push service that reaches it.</summary>
public static class PushKinds
{
    /// <summary>Firebase Cloud Messaging (Android, and iOS through Firebase): an FCM registration token.</summary>
    public const string Fcm = "fcm";

    /// <summary>Apple Push Notification service: a device token plus the environment (sandbox or production).</summary>
    public const string Apns = "apns";

    /// <summary>A browser's Web Push subscription (endpoint + p256dh + auth).</summary>
    public const string WebPush = "webpush";

    /// <summary>An opaque address handed to the server's signed webhook (any other gateway).</summary>
    public const string Webhook = "webhook";
}

/// <summary>Which messages a user is pushed about.</summary>
public static class PushLevels
{
    /// <summary>Every message (default).</summary>
    public const string All = "all";

    /// <summary>Direct messages and messages that mention the user (<c>@username</c>).</summary>
    public const string Mentions = "mentions";

    /// <summary>Nothing.</summary>
    public const string None = "none";
}

/// <summary>APNs environments.</summary>
public static class ApnsEnvironments
{
    public const string Sandbox = "sandbox";
    public const string Production = "production";
}

/// <summary>
/// PUT api/me/push: the calling device's push target (one per device; a new registration replaces the old one).
/// <c>token</c> for fcm, apns and webhook; <c>environment</c> for apns (default production); <c>subscription</c> for
/// webpush, in the shape of the browser's <c>PushSubscription.toJSON()</c>.
/// </summary>
public sealed record RegisterPushRequest(string Kind, string? Token = null, string? Environment = null, WebPushSubscriptionDto? Subscription = null);

/// <summary>A Web Push subscription as browsers serialize it: <c>{endpoint, keys: {p256dh, auth}}</c> (keys base64url).</summary>
public sealed record WebPushSubscriptionDto(string Endpoint, WebPushKeysDto Keys);

public sealed record WebPushKeysDto(string P256dh, string Auth);

/// <summary>A registered push target. Tokens are never echoed back.</summary>
public sealed record PushTargetDto(long DeviceId, string Kind, string? Environment, long CreatedAt, bool Current);

public sealed record PushTargetListResponse(PushTargetDto[] Targets);

/// <summary>
/// A user's notification settings. <c>quiet_hours</c> (optional): no pushes between <c>start</c> and <c>end</c>
/// ("HH:mm", may wrap midnight) in the IANA <c>time_zone</c> (default UTC).
/// </summary>
public sealed record PushSettingsDto(string Level, QuietHoursDto? QuietHours = null);

public sealed record QuietHoursDto(string Start, string End, string? TimeZone = null);

/// <summary>PUT api/me/push/mutes/{room}: no pushes for that room until <c>until</c> (Unix ms), or for good if null.</summary>
public sealed record MuteRoomRequest(long? Until = null);

public sealed record RoomMuteDto(long Room, long? Until);

public sealed record RoomMuteListResponse(RoomMuteDto[] Mutes);

/// <summary>GET api/push/config: the providers this server pushes through, and the VAPID key browsers subscribe with.</summary>
public sealed record PushConfigResponse(string[] Providers, string? VapidPublicKey);

/// <summary>An outbox entry that failed every attempt, with the last error.</summary>
public sealed record DeadLetterDto(long Id, string Topic, long Room, long Seq, long? Target, int Attempts, string LastError, long CreatedAt, long DeadAt);

public sealed record DeadLetterListResponse(DeadLetterDto[] DeadLetters, string? NextCursor);

/// <summary>POST api/admin/outbox/dead-letters/requeue: the given ids, or every dead letter when <c>ids</c> is null.</summary>
public sealed record RequeueRequest(long[]? Ids = null);

public sealed record RequeueResponse(int Requeued);

/// <summary>
/// GET api/admin/push/stats: the numbers of the Lime.Push meter. Counters are totals since start on this node;
/// <c>lag_ms</c> is due→done of recently finished outbox entries; <c>pending</c>, <c>oldest_due_age_ms</c> and
/// <c>dead_letters</c> are read from the store.
/// </summary>
public sealed record PushStatsResponse(
    long Pending,
    long OldestDueAgeMs,
    long DeadLetters,
    long Processed,
    long Attempts,
    long Retries,
    long DeadLettered,
    long Sent,
    long Collapsed,
    long Suppressed,
    long TokensRemoved,
    long SendFailures,
    LagSummaryDto LagMs);

public sealed record LagSummaryDto(long Samples, double P50, double P90, double P99, double Max);
