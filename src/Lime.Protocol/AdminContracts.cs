namespace Lime.Protocol;

// The admin API (/api/admin, docs/operations.md "Admin API") and self-service (/api/me/devices, /api/me/export, DELETE /api/me).

/// <summary>A user as an administrator sees them. <c>disabled_at</c>: login and refresh refused since then; <c>deleted</c>: the account was deleted (profile anonymised).</summary>
public sealed record AdminUserDto(long Id, string Username, string DisplayName, long CreatedAt, long? DisabledAt, bool Deleted, long LiveDevices);

public sealed record AdminUserListResponse(AdminUserDto[] Users);

/// <summary>A room as an administrator sees it: its size, its newest seq, what history it keeps (<c>retained_from</c>: the oldest seq kept), its TTL.</summary>
public sealed record AdminRoomDto(
    long Id,
    string Kind,
    string? Name,
    long CreatedBy,
    long CreatedAt,
    long MemberCount,
    long LastSeq,
    long LastActivityAt,
    long RetainedFrom,
    int? RetentionDays,
    bool Deleted);

public sealed record AdminRoomListResponse(AdminRoomDto[] Rooms);

/// <summary>POST /api/admin/users/{id}/logout: how many live device sessions were ended.</summary>
public sealed record AdminLogoutResponse(long UserId, int DevicesLoggedOut);

/// <summary>POST /api/admin/rooms/{id}/purge: remove every event before <c>before_seq</c>, or older than <c>before_time</c> (Unix ms); exactly one of them.</summary>
public sealed record PurgeRequest(long? BeforeSeq = null, long? BeforeTime = null);

/// <summary>What a purge (or a retention pass) did: events removed (messages among them), the room's retained start after it, and whether the bound stopped it early.</summary>
public sealed record PurgeResponse(long Room, long RemovedEvents, long RemovedMessages, long RetainedFrom, int Batches);

/// <summary>Messages sent on one UTC day (<c>day</c>: yyyy-MM-dd).</summary>
public sealed record DailyCount(string Day, long Messages);

/// <summary>GET /api/admin/stats. <c>connections</c>: sockets on the node that answered; <c>outbox_pending</c>/<c>outbox_dead</c>: entries waiting and dead-lettered (all topics).</summary>
public sealed record AdminStatsResponse(long Users, long Rooms, long Messages, DailyCount[] MessagesPerDay, int Connections, long OutboxPending, long OutboxDead, long? OutboxOldestDueAt);

/// <summary>One row of the admin audit (GET /api/admin/audit).</summary>
public sealed record AuditEntryDto(long Id, long AdminId, string Action, string? Target, string? Parameters, string Outcome, int Status, long At);

public sealed record AuditListResponse(AuditEntryDto[] Entries, string? NextCursor);

/// <summary>PUT /api/rooms/{id}/retention: message TTL in days for this room (owners and admins); 0 keeps everything, null returns to the server default.</summary>
public sealed record SetRetentionRequest(int? Days, string? ClientMsgId = null);

/// <summary>DELETE /api/me: the account's password, checked again.</summary>
public sealed record DeleteAccountRequest(string Password);
