using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>
/// <c>Lime:Push</c>: push notifications for offline members, and the outbox dispatcher that drives them. The
/// dispatcher always runs (it also drains the outbox when push is off); providers are used only when
/// <see cref="Enabled"/> and their own <c>Enabled</c> are set. Checked at start by <see cref="PushOptionsValidator"/>.
/// </summary>
public sealed class PushOptions
{
    /// <summary>Send push notifications at all (default off: no provider is configured out of the box).</summary>
    public bool Enabled { get; set; }

    /// <summary>User ids allowed to use the /api/admin/outbox and /api/admin/push endpoints.</summary>
    public long[] AdminUserIds { get; set; } = [];

    /// <summary>
    /// <c>user</c>: push a member only when none of their devices is connected (default). <c>device</c>: push every
    /// device of a member that is not connected itself.
    /// </summary>
    public string Audience { get; set; } = "user";

    /// <summary>Message text in the push: <c>full</c>, <c>truncated</c> (default, <see cref="PreviewLength"/>) or <c>none</c> (privacy).</summary>
    public string Preview { get; set; } = "truncated";

    [Range(1, 4000)]
    public int PreviewLength { get; set; } = 100;

    /// <summary>
    /// Collapse window per device: after a push, further messages to that device within this many ms are collapsed
    /// into one digest push ("5 new messages") at the window's end. 0 = every message is pushed.
    /// </summary>
    [Range(0, 3_600_000)]
    public int CollapseWindowMs { get; set; } = 2000;

    /// <summary>Rooms with more members than this push only mentions (0 = use Lime:Rooms:LargeRoomMembers).</summary>
    [Range(0, 10_000_000)]
    public int LargeRoomMembers { get; set; }

    /// <summary>Attempts per outbox entry before it becomes a dead letter.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Backoff before retry n: BackoffBaseMs·2^(n-1), ±20 % jitter, at most <see cref="MaxBackoffMs"/> (a provider's Retry-After wins if longer).</summary>
    [Range(1, 3_600_000)]
    public int BackoffBaseMs { get; set; } = 5000;

    [Range(1, 86_400_000)]
    public int MaxBackoffMs { get; set; } = 600_000;

    /// <summary>Entries one dispatcher worker claims at once.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 256;

    /// <summary>Dispatcher workers per node (each claims its own batches).</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 2;

    /// <summary>How long a claim holds an entry; a node that dies releases its entries after this. Must exceed a batch's worst time.</summary>
    [Range(1, 86_400)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How often an idle worker looks for due entries.</summary>
    [Range(1, 60_000)]
    public int PollIntervalMs { get; set; } = 50;

    /// <summary>Provider requests in flight per node.</summary>
    [Range(1, 10_000)]
    public int MaxConcurrentSends { get; set; } = 128;

    /// <summary>Timeout of one provider request.</summary>
    [Range(1, 600)]
    public int SendTimeoutSeconds { get; set; } = 10;

    /// <summary>How long idempotency keys are kept (a redelivery or requeue within this time never pushes twice).</summary>
    [Range(1, 87_600)]
    public int LedgerRetentionHours { get; set; } = 168;

    [ValidateObjectMembers]
    public FcmOptions Fcm { get; set; } = new();
    [ValidateObjectMembers]
    public ApnsOptions Apns { get; set; } = new();
    [ValidateObjectMembers]
    public WebPushOptions WebPush { get; set; } = new();
    // Url and Secret are checked only when enabled (PushOptionsValidator).
    public WebhookOptions Webhook { get; set; } = new();
}

/// <summary><c>Lime:Push:Fcm</c>: Firebase Cloud Messaging HTTP v1 with a service account.</summary>
public sealed class FcmOptions
{
    public bool Enabled { get; set; }

    /// <summary>Path of the service-account JSON key file (or put the JSON itself in <see cref="ServiceAccountJson"/>).</summary>
    public string ServiceAccountFile { get; set; } = "";

    public string ServiceAccountJson { get; set; } = "";

    /// <summary>The Firebase project; empty = the service account's project_id.</summary>
    public string ProjectId { get; set; } = "";

    /// <summary>Base of messages:send.</summary>
    [Url]
    public string Endpoint { get; set; } = "https://fcm.googleapis.com/";

    /// <summary>OAuth2 token endpoint; empty = the service account's token_uri.</summary>
    public string TokenEndpoint { get; set; } = "";
}

/// <summary><c>Lime:Push:Apns</c>: APNs over HTTP/2 with token-based (.p8, ES256) authentication.</summary>
public sealed class ApnsOptions
{
    public bool Enabled { get; set; }

    /// <summary>The 10-character key id of the .p8 key.</summary>
    public string KeyId { get; set; } = "";

    /// <summary>The 10-character Apple developer team id.</summary>
    public string TeamId { get; set; } = "";

    /// <summary>Path of the .p8 file (or its PEM text in <see cref="PrivateKey"/>).</summary>
    public string PrivateKeyFile { get; set; } = "";

    public string PrivateKey { get; set; } = "";

    /// <summary>apns-topic: the app's bundle id.</summary>
    public string Topic { get; set; } = "";

    [Url]
    public string ProductionEndpoint { get; set; } = "https://api.push.apple.com/";
    [Url]
    public string SandboxEndpoint { get; set; } = "https://api.sandbox.push.apple.com/";

    /// <summary>A provider token is reused this long (Apple: refresh between 20 and 60 minutes).</summary>
    [Range(20, 59)]
    public int TokenRefreshMinutes { get; set; } = 50;
}

/// <summary><c>Lime:Push:WebPush</c>: Web Push with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291).</summary>
public sealed class WebPushOptions
{
    public bool Enabled { get; set; }

    /// <summary>VAPID contact: a mailto: or https: URI.</summary>
    public string Subject { get; set; } = "mailto:admin@localhost";

    /// <summary>VAPID private key: base64url of the 32-byte P-256 scalar. Empty: generated once into the data directory (vapid.key).</summary>
    public string PrivateKey { get; set; } = "";

    /// <summary>TTL header: how long the push service keeps an undelivered message, in seconds.</summary>
    [Range(0, 2_419_200)]
    public int TtlSeconds { get; set; } = 86_400;

    /// <summary>
    /// Hosts (or suffixes starting with '.') a subscription endpoint may point at; empty = any. Guards against
    /// clients making the server post to internal addresses.
    /// </summary>
    public string[] AllowedHosts { get; set; } =
        ["fcm.googleapis.com", "updates.push.services.mozilla.com", ".push.apple.com", ".notify.windows.com"];

    /// <summary>Accept http:// endpoints (tests with a local fake only).</summary>
    public bool AllowHttp { get; set; }
}

/// <summary><c>Lime:Push:Webhook</c>: a signed POST to one configured URL per notification, for any other gateway.</summary>
public sealed class WebhookOptions
{
    public bool Enabled { get; set; }

    public string Url { get; set; } = "";

    /// <summary>HMAC-SHA256 key (at least 32 characters) for the X-Lime-Signature header.</summary>
    public string Secret { get; set; } = "";
}
