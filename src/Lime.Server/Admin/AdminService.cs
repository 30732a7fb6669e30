using System.Globalization;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Lime.Server.Push;
using Lime.Server.Realtime;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Admin;

/// <summary>
/// What /api/admin does (docs/operations.md "Admin API"): finds and inspects users and rooms, disables accounts and
/// logs out their devices, deletes rooms through the room writer (the existing <see cref="DeleteRoom"/> operation with
/// its <c>room_deleted</c> event), reports counts. Inputs are checked before anything is done.
/// </summary>
public sealed class AdminService(AdminStore store, AccountService accounts, IRoomWriter writer, IOutboxStore outbox, ConnectionRegistry connections, TimeProvider time,
    IOptions<LimeOptions> options)
{
    public const int MaxPage = 200;
    public const int MaxQueryLength = 100;
    public const int MaxStatsDays = 366;

    public async Task<AdminUserListResponse> FindUsersAsync(string? q, int? limit, CancellationToken ct)
    {
        var (prefix, id, take) = Query(q, limit);
        return new AdminUserListResponse([.. await store.FindUsersAsync(prefix.ToLowerInvariant(), id, take, ct)]);
    }

    public async Task<AdminUserDto> GetUserAsync(long id, CancellationToken ct) =>
        await store.GetUserAsync(id, ct) ?? throw LimeException.NotFound("No such user.");

    /// <summary>Login and refresh are refused from now on; every device is logged out (tokens refused, sockets closed with 4001).</summary>
    public async Task<AdminUserDto> DisableAsync(long id, CancellationToken ct)
    {
        if (!await store.SetDisabledAsync(id, Now(), ct))
        {
            throw LimeException.NotFound("No such user.");
        }

        await accounts.RevokeAllDevicesAsync(id, "account_disabled", ct);
        return await GetUserAsync(id, ct);
    }

    public async Task<AdminUserDto> EnableAsync(long id, CancellationToken ct)
    {
        if (!await store.SetDisabledAsync(id, null, ct))
        {
            throw LimeException.NotFound("No such user.");
        }

        return await GetUserAsync(id, ct);
    }

    public async Task<AdminLogoutResponse> LogoutAsync(long id, CancellationToken ct)
    {
        _ = await GetUserAsync(id, ct);
        return new AdminLogoutResponse(id, await accounts.RevokeAllDevicesAsync(id, "logged_out_by_admin", ct));
    }

    public async Task<AdminRoomListResponse> FindRoomsAsync(string? q, int? limit, CancellationToken ct)
    {
        var (prefix, id, take) = Query(q, limit);
        return new AdminRoomListResponse([.. await store.FindRoomsAsync(prefix, id, take, ct)]);
    }

    public async Task<AdminRoomDto> GetRoomAsync(long id, CancellationToken ct) =>
        await store.GetRoomAsync(id, ct) ?? throw LimeException.NotFound("No such room.");

    /// <summary>The owner's <see cref="DeleteRoom"/>, done by an administrator: every member leaves with the room_deleted event.</summary>
    public async Task DeleteRoomAsync(long adminId, long id, CancellationToken ct)
    {
        var room = await GetRoomAsync(id, ct);
        if (room.Deleted)
        {
            throw LimeException.NotFound("No such room.");
        }

        if (room.Kind == RoomKinds.Direct)
        {
            throw LimeException.Validation("A direct room cannot be deleted; delete or disable an account instead.");
        }

        await writer.WriteAsync(new DeleteRoom(id, adminId, null, ByServerAdmin: true), ct);
    }

    /// <summary>
    /// Removes the room's history before a seq or a time, in batches of Lime:Retention:BatchSize events (one commit
    /// each, each a consistent state). A seq past the end (more than last seq + 1) is a validation error and nothing is done.
    /// </summary>
    public async Task<PurgeResponse> PurgeAsync(long adminId, long id, PurgeRequest request, CancellationToken ct)
    {
        if ((request.BeforeSeq is null) == (request.BeforeTime is null))
        {
            throw LimeException.Validation("Give exactly one of before_seq and before_time.");
        }

        if (request.BeforeSeq is < 1 || request.BeforeTime is < 0)
        {
            throw LimeException.Validation("before_seq must be ≥ 1 and before_time (Unix ms) ≥ 0.");
        }

        var room = await GetRoomAsync(id, ct);
        if (room.Deleted)
        {
            throw LimeException.NotFound("No such room.");
        }

        if (request.BeforeSeq > room.LastSeq + 1)
        {
            throw LimeException.Validation($"before_seq {request.BeforeSeq} is past the end of the room (last seq {room.LastSeq}; at most {room.LastSeq + 1}).");
        }

        var outcome = await PurgeLoopAsync(new PurgeHistory(id, adminId, request.BeforeSeq ?? room.LastSeq + 1, request.BeforeTime, options.Value.Retention.BatchSize), int.MaxValue, ct);
        return outcome with { RetainedFrom = Math.Max(outcome.RetainedFrom, room.RetainedFrom) };
    }

    /// <summary>Runs <paramref name="purge"/> batch after batch until it is done or <paramref name="maxBatches"/> were committed.</summary>
    public async Task<PurgeResponse> PurgeLoopAsync(PurgeHistory purge, int maxBatches, CancellationToken ct)
    {
        long events = 0, messages = 0, retained = 0;
        int batches = 0;
        while (batches < maxBatches)
        {
            var result = await writer.WriteAsync(purge, ct);
            var done = result.Purge ?? throw new InvalidOperationException("A purge returned no outcome.");
            events += done.RemovedEvents;
            messages += done.RemovedMessages;
            retained = done.RetainedFrom;
            batches += done.RemovedEvents > 0 ? 1 : 0;
            if (done.Done || done.RemovedEvents == 0)
            {
                break;
            }
        }

        return new PurgeResponse(purge.RoomId, events, messages, retained, batches);
    }

    public async Task<AdminStatsResponse> StatsAsync(int? days, CancellationToken ct)
    {
        int span = days ?? 30;
        if (span is < 1 or > MaxStatsDays)
        {
            throw LimeException.Validation($"days must be 1-{MaxStatsDays}.");
        }

        long today = Now() / 86_400_000;
        var (users, rooms, messages, perDay) = await store.CountsAsync((today - span + 1) * 86_400_000, ct);
        var stats = await outbox.StatsAsync(ct);
        var daily = perDay.Select(d => new DailyCount(DateTimeOffset.FromUnixTimeMilliseconds(d.Day * 86_400_000).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Count)).ToArray();
        return new AdminStatsResponse(users, rooms, messages, daily, connections.Count, stats.Pending, stats.DeadLetters, stats.OldestDueAt);
    }

    public async Task<AuditListResponse> ListAuditAsync(string? cursor, int? limit, CancellationToken ct)
    {
        long before = long.MaxValue;
        if (cursor is not null && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out before) || before < 1))
        {
            throw LimeException.Validation("cursor is not valid.");
        }

        int take = limit ?? 100;
        if (take is < 1 or > MaxPage)
        {
            throw LimeException.Validation($"limit must be 1-{MaxPage}.");
        }

        var rows = await store.ListAuditAsync(before, take, ct);
        return new AuditListResponse([.. rows], rows.Count == take ? rows[^1].Id.ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>q: a name prefix (1-100 characters), or a decimal id (which also matches as a prefix); limit 1-200.</summary>
    private static (string Prefix, long? Id, int Limit) Query(string? q, int? limit)
    {
        string query = (q ?? "").Trim();
        if (query.Length is 0 or > MaxQueryLength)
        {
            throw LimeException.Validation($"q must be 1-{MaxQueryLength} characters: a name prefix or an id.");
        }

        int take = limit ?? 50;
        if (take is < 1 or > MaxPage)
        {
            throw LimeException.Validation($"limit must be 1-{MaxPage}.");
        }

        long? id = long.TryParse(query, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;
        return (query, id, take);
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
