using System.ComponentModel.DataAnnotations;
using Lime.Server.Push;
using Microsoft.Extensions.Options;

namespace Lime.Server;

/// <summary>
/// The whole configuration tree under the <c>Lime</c> section. Every default needs no other software. Every group is
/// checked at start, nested ones included (<see cref="LimeOptionsValidator"/>): a bad value stops the server with a
/// message naming its key, instead of a server that reports ready and cannot work.
/// </summary>
public sealed class LimeOptions
{
    public const string Section = "Lime";

    /// <summary>Unique per node (0-1023): the node part of every Snowflake message id.</summary>
    [Range(0, 1023)]
    public int NodeId { get; set; }

    [ValidateObjectMembers]
    public StorageOptions Storage { get; set; } = new();
    [ValidateObjectMembers]
    public FanoutOptions Fanout { get; set; } = new();
    [ValidateObjectMembers]
    public AuthOptions Auth { get; set; } = new();
    [ValidateObjectMembers]
    public RealtimeOptions Realtime { get; set; } = new();
    [ValidateObjectMembers]
    public LimitOptions Limits { get; set; } = new();
    [ValidateObjectMembers]
    public RoomOptions Rooms { get; set; } = new();
    [ValidateObjectMembers]
    public MessageOptions Messages { get; set; } = new();
    [ValidateObjectMembers]
    public PresenceOptions Presence { get; set; } = new();
    [ValidateObjectMembers]
    public PushOptions Push { get; set; } = new();
    [ValidateObjectMembers]
    public SearchOptions Search { get; set; } = new();
    // Nothing of its own to check; Lime:Redis:Configuration is required with the redis fanout (LimeOptionsValidator).
    public RedisOptions Redis { get; set; } = new();
    [ValidateObjectMembers]
    public ClusterOptions Cluster { get; set; } = new();
    [ValidateObjectMembers]
    public AttachmentOptions Attachments { get; set; } = new();
    [ValidateObjectMembers]
    public MetricsOptions Metrics { get; set; } = new();
    [ValidateObjectMembers]
    public TracingOptions Tracing { get; set; } = new();
    [ValidateObjectMembers]
    public LoggingOptions Logging { get; set; } = new();
    [ValidateObjectMembers]
    public RetentionOptions Retention { get; set; } = new();
}

/// <summary>Message retention (docs/operations.md "Retention"): the server-default TTL and the job that applies it.</summary>
public sealed class RetentionOptions
{
    /// <summary>Events older than this many days are removed from rooms without a TTL of their own; 0 keeps everything (the default).</summary>
    [Range(0, 3650)]
    public int DefaultTtlDays { get; set; }

    /// <summary>Most events one commit removes (purges and the retention job alike).</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>How often the retention job runs, in seconds.</summary>
    [Range(1, 86_400 * 7)]
    public int IntervalSeconds { get; set; } = 3600;

    /// <summary>Most batches one pass of the job commits (over all rooms); the rest waits for the next pass.</summary>
    [Range(1, 1_000_000)]
    public int MaxBatchesPerPass { get; set; } = 2000;
}

/// <summary>Console log output. Levels stay ASP.NET Core's (<c>Logging:LogLevel:*</c>).</summary>
public sealed class LoggingOptions
{
    /// <summary><c>text</c> or <c>json</c> (one JSON object per line with request ids); read once at start.</summary>
    [EnumDataType(typeof(LogFormat))]
    public LogFormat Format { get; set; } = LogFormat.Text;
}

/// <summary>
/// Traces over OTLP (OpenTelemetry): the spans of ActivitySource <c>Lime</c> (one trace per send: send, commit,
/// fanout) and ASP.NET Core's request spans. Off by default. Read once at start, from the configuration the host
/// builder sees (command line, environment, appsettings).
/// </summary>
public sealed class TracingOptions
{
    public bool Enabled { get; set; }

    /// <summary>
    /// The collector: for grpc its base address (<c>http://otel-collector:4317</c>), for http/protobuf the full traces
    /// URL (<c>http://otel-collector:4318/v1/traces</c>). Empty: OpenTelemetry's default or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.
    /// </summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary><c>grpc</c> or <c>http/protobuf</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>Share of traces kept (0-1), decided at the root span; child spans follow their parent.</summary>
    [Range(0.0, 1.0)]
    public double SampleRatio { get; set; } = 1.0;
}

/// <summary>Photos and files in chats (docs/protocol.md §13).</summary>
public sealed class AttachmentOptions
{
    /// <summary>Where the embedded blob store keeps files (and uploads in progress); empty: <c>attachments</c> in the data directory.</summary>
    public string Directory { get; set; } = "";

    /// <summary>Largest file one upload may carry, in bytes (refused before the body is read when it says so, else while it streams).</summary>
    [Range(1, 64L * 1024 * 1024 * 1024)]
    public long MaxFileBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Bytes one user may upload in any 24 hours.</summary>
    [Range(1, long.MaxValue)]
    public long DailyBytesPerUser { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Most attachments on one message.</summary>
    [Range(1, 100)]
    public int MaxPerMessage { get; set; } = 10;

    /// <summary>How long a signed download URL stays valid, in seconds (at most 15 minutes).</summary>
    [Range(10, 900)]
    public int UrlSeconds { get; set; } = 300;

    /// <summary>Uploads no message referenced are deleted this many hours after they were made.</summary>
    [Range(1, 24 * 365)]
    public int OrphanHours { get; set; } = 24;

    /// <summary>How often the sweeper looks for orphaned and deleted attachments, in seconds.</summary>
    [Range(1, 86_400)]
    public int SweepIntervalSeconds { get; set; } = 600;

    /// <summary>Most attachments the sweeper removes per pass (bounded batches).</summary>
    [Range(1, 100_000)]
    public int SweepBatch { get; set; } = 500;

    /// <summary>Images with more pixels than this are refused (a decompression bomb is small on the wire, huge decoded).</summary>
    [Range(1, 1_000_000_000)]
    public long MaxImagePixels { get; set; } = 50_000_000;

    /// <summary>The longer side of an image's thumbnail, in pixels.</summary>
    [Range(16, 4096)]
    public int ThumbnailPixels { get; set; } = 320;
}

/// <summary>
/// The Prometheus scrape endpoint (OpenTelemetry's exporter). It needs no token: who may read it is decided by the
/// caller's address (<see cref="AllowedNetworks"/>, loopback only by default) and, optionally, by a port of its own.
/// </summary>
public sealed class MetricsOptions
{
    /// <summary>Serve the endpoint at all (the instruments are recorded either way, for any other listener).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where it answers.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Path { get; set; } = "/metrics";

    /// <summary>
    /// An extra address to listen on for the endpoint only, e.g. <c>http://0.0.0.0:9464</c>: then the endpoint answers
    /// only there (404 on the main listener). Empty: on the main listener.
    /// </summary>
    public string Listen { get; set; } = "";

    /// <summary>
    /// Networks (CIDR) whose callers may read the endpoint; others get 403. The address is the TCP peer's, never a
    /// forwarded header's. Empty (the default): loopback only, <see cref="LoopbackNetworks"/>. Not defaulted in the
    /// array itself: configuration binding appends to an array's items, so a configured list could never drop loopback.
    /// </summary>
    public string[] AllowedNetworks { get; set; } = [];

    public static readonly string[] LoopbackNetworks = ["127.0.0.0/8", "::1/128"];

    /// <summary>The networks in force: the configured ones, or loopback.</summary>
    public string[] EffectiveNetworks => AllowedNetworks is { Length: > 0 } configured ? configured : LoopbackNetworks;
}

public sealed class RedisOptions
{
    /// <summary>StackExchange.Redis configuration string (used when Fanout:Provider is redis).</summary>
    public string Configuration { get; set; } = "127.0.0.1:6379";
}

public sealed class ClusterOptions
{
    /// <summary>The URL clients should use to reach this node (announced in the node registry). Empty: not announced.</summary>
    public string PublicUrl { get; set; } = "";

    /// <summary>A node not heard from for this long is left out of node picks.</summary>
    [Range(1, 600)]
    public int NodeTtlSeconds { get; set; } = 10;

    /// <summary>Honour X-Forwarded-For/-Proto from a TLS-terminating load balancer.</summary>
    public bool TrustForwardedHeaders { get; set; }

    /// <summary>
    /// Room ownership (docs/operations.md, Room ownership): each room written by the node holding its partition's
    /// lease, other nodes forwarding to it. Auto = on with PostgreSQL when <see cref="InternalUrl"/> is set, else off.
    /// </summary>
    public OwnershipMode Ownership { get; set; } = OwnershipMode.Auto;

    /// <summary>Whether rooms are owned with these settings.</summary>
    public bool OwnershipOn(StorageProvider storage) => storage == StorageProvider.Postgres && Ownership switch
    {
        OwnershipMode.On => true,
        OwnershipMode.Auto => InternalUrl.Length > 0,
        _ => false,
    };

    /// <summary>
    /// This node's internal listener for forwarded writes (HTTP/2 cleartext, e.g. http://10.0.0.5:5090); the URL
    /// other nodes use to reach it, so not a wildcard address. Required when ownership is on.
    /// </summary>
    public string InternalUrl { get; set; } = "";

    /// <summary>
    /// Address the internal listener binds to when it differs from <see cref="InternalUrl"/> (e.g. http://0.0.0.0:5090
    /// in a container). Empty: <see cref="InternalUrl"/>.
    /// </summary>
    public string InternalListen { get; set; } = "";

    /// <summary>Room partitions (room id mod this); every node of a cluster must use the same number.</summary>
    [Range(1, 4096)]
    public int Partitions { get; set; } = 64;

    /// <summary>A forwarded write not answered by the owner within this long is answered <c>unavailable</c>.</summary>
    [Range(100, 60_000)]
    public int ForwardTimeoutMs { get; set; } = 5000;

    /// <summary>Forwarded writes in flight from this node at once; more are refused with <c>overloaded</c>.</summary>
    [Range(1, 1_000_000)]
    public int MaxForwardsInFlight { get; set; } = 2048;

    /// <summary>How often a node looks for free partitions and releases surplus ones (milliseconds).</summary>
    [Range(50, 10_000)]
    public int LeaseTickMs { get; set; } = 300;
}

/// <summary><c>Lime:Cluster:Ownership</c>.</summary>
[System.ComponentModel.TypeConverter(typeof(ConfigEnumConverter<OwnershipMode>))]
public enum OwnershipMode
{
    /// <summary>On with PostgreSQL storage and an internal URL; off with SQLite (one node) or without an internal URL.</summary>
    Auto = 1,

    /// <summary>Rooms are owned (needs PostgreSQL and <see cref="ClusterOptions.InternalUrl"/>).</summary>
    On = 2,

    /// <summary>Every node writes every room itself (rooms written from several nodes share their row locks).</summary>
    Off = 3,
}

public sealed class RoomOptions
{
    /// <summary>
    /// Rooms with more members than this are large: no typing indicators, no per-member read receipts to others,
    /// no presence fanout to their members.
    /// </summary>
    [Range(2, 1_000_000)]
    public int LargeRoomMembers { get; set; } = 100;

    /// <summary>Default events per room in a sync reply; a room further behind gets a snapshot.</summary>
    [Range(1, 1000)]
    public int SyncLimitPerRoom { get; set; } = 100;

    /// <summary>At most one typing frame per user per room per this many milliseconds.</summary>
    [Range(100, 60_000)]
    public int TypingThrottleMs { get; set; } = 3000;

    /// <summary>How long a typing indicator lasts without a new one.</summary>
    [Range(500, 60_000)]
    public int TypingExpiresMs { get; set; } = 6000;
}

/// <summary>Message search (docs/protocol.md §14, docs/operations.md "Search").</summary>
public sealed class SearchOptions
{
    /// <summary>
    /// Index messages (an outbox entry per message, edit and delete, applied by the outbox dispatcher) and answer
    /// searches. Off: nothing is indexed and search answers <c>unavailable</c>.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most hits in one search page (<c>limit</c>; default 20).</summary>
    [Range(1, 200)]
    public int MaxPageSize { get; set; } = 50;
}

/// <summary>What members may do to messages after sending them.</summary>
public sealed class MessageOptions
{
    /// <summary>How long after sending the sender may edit a message.</summary>
    [Range(0, 31_536_000)]
    public int EditWindowSeconds { get; set; } = 86_400;

    /// <summary>How long after sending the sender may delete a message for everyone (owners and admins: any time).</summary>
    [Range(0, 31_536_000)]
    public int DeleteWindowSeconds { get; set; } = 86_400;

    /// <summary>Most distinct emoji on one message.</summary>
    [Range(1, 1000)]
    public int MaxReactionsPerMessage { get; set; } = 20;

    /// <summary>Most pinned messages in one room.</summary>
    [Range(1, 1000)]
    public int MaxPinsPerRoom { get; set; } = 50;

    /// <summary>Most user ids in one message's <c>mentions</c>.</summary>
    [Range(1, 1000)]
    public int MaxMentions { get; set; } = 50;

    /// <summary>In groups and channels with more members than this, only the owner and admins may mention <c>@room</c>.</summary>
    [Range(0, 1_000_000)]
    public int RoomMentionOpenMembers { get; set; } = 20;

    /// <summary>Channels with more members than this refuse <c>@room</c> from anyone, moderators too (0 = no limit).</summary>
    [Range(0, 1_000_000)]
    public int RoomMentionMaxChannelMembers { get; set; } = 100;
}

public sealed class PresenceOptions
{
    /// <summary>A user with no heartbeat on any device for this long is offline (short blips never show).</summary>
    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 30;
}

public sealed class StorageOptions
{
    /// <summary><c>sqlite</c> (embedded default, one node) or <c>postgres</c> (several nodes); case-insensitive.</summary>
    [EnumDataType(typeof(StorageProvider))]
    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;

    /// <summary>Directory for the SQLite database and the generated signing key; relative to the working directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Most writes folded into one durable commit (group commit).</summary>
    [Range(1, 10_000)]
    public int MaxBatch { get; set; } = 512;

    /// <summary>
    /// How long a sender waits for its write to be confirmed durable before hearing "not confirmed" (the commit is
    /// never cancelled; a retry with the same client_msg_id resolves the outcome).
    /// </summary>
    [Range(1, 3600)]
    public int AckTimeoutSeconds { get; set; } = 10;

    /// <summary>PostgreSQL connection string (Storage:Provider = postgres).</summary>
    public string PostgresConnectionString { get; set; } = "";

    /// <summary>
    /// PostgreSQL only: how long start-up keeps trying (every second) to reach a server that does not answer yet
    /// (refused, starting up, host not resolvable) before the node gives up and exits. 0: one attempt.
    /// </summary>
    [Range(0, 3600)]
    public int StartupTimeoutSeconds { get; set; } = 60;
}

public sealed class FanoutOptions
{
    /// <summary><c>memory</c> (in-process, single node) or <c>redis</c> (several nodes); case-insensitive.</summary>
    [EnumDataType(typeof(FanoutProvider))]
    public FanoutProvider Provider { get; set; } = FanoutProvider.Memory;
}

public sealed class AuthOptions
{
    /// <summary>Base64 HMAC-SHA256 key (≥ 32 bytes) for access tokens. Empty: generated once into the data directory.</summary>
    public string SigningKey { get; set; } = "";

    [Required(AllowEmptyStrings = false)]
    public string Issuer { get; set; } = "lime";

    [Range(30, 86_400)]
    public int AccessTokenSeconds { get; set; } = 900;

    /// <summary>PBKDF2 iterations for password hashes (ASP.NET Core Identity's PasswordHasher, HMAC-SHA512).</summary>
    [Range(1_000, 10_000_000)]
    public int PasswordIterations { get; set; } = 100_000;

    /// <summary>Device sessions whose liveness one node caches (least recently used dropped first when full).</summary>
    [Range(100, 10_000_000)]
    public int SessionCacheEntries { get; set; } = 100_000;

    /// <summary>
    /// How long a node trusts a cached "live" answer about a device session without asking the store. Revocations
    /// reach every node at once through the relay; this bounds a lost one (Redis down when it was published).
    /// </summary>
    [Range(1, 3_600)]
    public int SessionCacheSeconds { get; set; } = 5;

    /// <summary>How often a node asks the store whether the devices of its sockets are still live (closes the others 4001).</summary>
    [Range(1, 3_600)]
    public int SessionRecheckSeconds { get; set; } = 30;

    /// <summary>Logins from one client address (IPv4, or IPv6 /64) per minute, successful or not (429 past it).</summary>
    [Range(1, 10_000_000)]
    public int LoginsPerAddressPerMinute { get; set; } = 30;

    /// <summary>Registrations from one client address per hour, successful or not.</summary>
    [Range(1, 10_000_000)]
    public int RegistrationsPerAddressPerHour { get; set; } = 20;

    /// <summary>Token refreshes from one client address per minute.</summary>
    [Range(1, 10_000_000)]
    public int RefreshesPerAddressPerMinute { get; set; } = 120;

    /// <summary>
    /// Per account, from any address, per minute: wrong passwords for one username, refused registrations of one
    /// username, uses of one refresh token. Past it even the right password is refused (429) until a token is back.
    /// </summary>
    [Range(1, 10_000_000)]
    public int AccountAttemptsPerMinute { get; set; } = 10;

    /// <summary>Password hashes computed at once on this node (default: half the cores, at least 1); others wait up to 10 s.</summary>
    [Range(1, 1024)]
    public int MaxConcurrentHashes { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// A spent refresh token presented again logs its device out (reuse: a copy is in other hands), unless it was
    /// spent less than this long ago: concurrent refreshes of one session (two tabs) are refused without that.
    /// </summary>
    [Range(0, 300)]
    public int RefreshReuseGraceSeconds { get; set; } = 5;

    /// <summary>Live device sessions per user: a login past it logs out the devices idle longest (oldest login or refresh).</summary>
    [Range(1, 100_000)]
    public int MaxDevicesPerUser { get; set; } = 50;
}

public sealed class RealtimeOptions
{
    /// <summary>Browser origins allowed to open a WebSocket. Requests without an Origin header (native clients) are allowed.</summary>
    public string[] AllowedOrigins { get; set; } = ["http://127.0.0.1:5080", "http://localhost:5080"];

    /// <summary>How often clients should send a ping (announced in the hello frame).</summary>
    [Range(1, 3600)]
    public int HeartbeatIntervalSeconds { get; set; } = 15;

    /// <summary>A connection from which nothing arrives for this long is closed with 4000.</summary>
    [Range(2, 7200)]
    public int IdleTimeoutSeconds { get; set; } = 45;

    /// <summary>Frames queued for one connection before it is closed as a slow consumer (4008).</summary>
    [Range(16, 1_000_000)]
    public int SendQueueFrames { get; set; } = 8192;

    /// <summary>Largest frame a client may send, in bytes.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxFrameBytes { get; set; } = 1024 * 1024;

    /// <summary>Requests from one connection being processed at once; further frames wait to be read.</summary>
    [Range(1, 10_000)]
    public int MaxInFlightPerConnection { get; set; } = 256;

    /// <summary>
    /// Bytes one connection may have queued for it: frames not yet taken by the socket plus room reserved for replies
    /// being built. A live frame that does not fit closes the connection as a slow consumer (4008).
    /// </summary>
    [Range(64 * 1024, 1L << 32)]
    public long SendQueueBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>history and sync requests of one connection being built at once; further frames wait to be read.</summary>
    [Range(1, 64)]
    public int MaxReadsInFlight { get; set; } = 4;

    /// <summary>
    /// Open sockets of one user on this node (all devices): an upgrade past it is refused with 429
    /// <c>limit_reached</c> before it is accepted; the sockets already open are kept.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxSocketsPerUser { get; set; } = 20;
}

public sealed class LimitOptions
{
    /// <summary>Largest message text, in UTF-8 bytes.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxTextBytes { get; set; } = 100 * 1024;

    /// <summary>Sustained sends per user per second (token bucket refill).</summary>
    [Range(1, 10_000_000)]
    public int SendsPerSecond { get; set; } = 20;

    /// <summary>Sends a user may burst before the rate limit applies (token bucket size).</summary>
    [Range(1, 10_000_000)]
    public int SendBurst { get; set; } = 50;

    /// <summary>
    /// Rooms one user may create per hour on this node (groups, channels and new direct rooms; opening an existing
    /// direct room is free): a token bucket of this size, one back every hour / RoomsPerHour. Past it 429 rate_limited.
    /// </summary>
    [Range(1, 10_000_000)]
    public int RoomsPerHour { get; set; } = 100;

    [Range(2, 1_000_000)]
    public int MaxGroupMembers { get; set; } = 5_000;

    [Range(2, 10_000_000)]
    public int MaxChannelMembers { get; set; } = 200_000;

    [Range(1, 1000)]
    public int MaxPageSize { get; set; } = 200;

    /// <summary>
    /// Largest history page or sync reply in bytes of its events (as the socket writes them): a page that would be
    /// larger is cut and says so with its has_more flags (a page always holds at least one event).
    /// </summary>
    [Range(16 * 1024, 256 * 1024 * 1024)]
    public int MaxReplyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// The most bytes of events one reply can hold: the cap, or one event of the largest text if that is larger (a
    /// page always keeps one event; a character takes at most 6 bytes of JSON, <c>\u0001</c>), plus its other fields.
    /// </summary>
    public long LargestReplyBytes => Math.Max(MaxReplyBytes, 6L * MaxTextBytes + 1024) + 1024;
}
