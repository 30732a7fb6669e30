using System.Globalization;
using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Lime.Server.Push;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>
/// /api/me/push: the calling device's push target, notification settings, room mutes; /api/push/config; and the
/// admin endpoints /api/admin/outbox (dead letters: list, requeue) and /api/admin/push/stats, open to the user ids
/// in Lime:Push:AdminUserIds only.
/// </summary>
public static class PushApi
{
    private const int MaxDeadLetterPage = 500;

    public static IEndpointRouteBuilder MapPushApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/push/config", GetConfig).WithTags("Push").RequireAuthorization().ProducesLimeProblems(401);

        var me = app.MapGroup("/api/me/push").WithTags("Push").RequireAuthorization();
        me.MapPut("/", RegisterAsync).ProducesLimeProblems(400, 401);
        me.MapGet("/", ListTargetsAsync).ProducesLimeProblems(401);
        me.MapDelete("/", UnregisterAsync).ProducesLimeProblems(401);
        me.MapGet("/settings", GetSettingsAsync).ProducesLimeProblems(401);
        me.MapPut("/settings", SetSettingsAsync).ProducesLimeProblems(400, 401);
        me.MapGet("/mutes", ListMutesAsync).ProducesLimeProblems(401);
        me.MapPut("/mutes/{roomId:long}", MuteAsync).ProducesLimeProblems(400, 401, 403, 404);
        me.MapDelete("/mutes/{roomId:long}", UnmuteAsync).ProducesLimeProblems(401);

        var admin = app.MapGroup("/api/admin").WithTags("Admin").RequireAuthorization().AddEndpointFilter<Admin.AdminAudit>(); // admins only, audited
        admin.MapGet("/outbox/dead-letters", ListDeadLettersAsync).ProducesLimeProblems(400, 401, 403);
        admin.MapPost("/outbox/dead-letters/requeue", RequeueAsync).ProducesLimeProblems(400, 401, 403);
        admin.MapGet("/push/stats", GetStatsAsync).ProducesLimeProblems(401, 403);
        return app;
    }

    private static Ok<PushConfigResponse> GetConfig(PushPreferences push) => TypedResults.Ok(push.Config());

    private static async Task<Ok<PushTargetDto>> RegisterAsync(RegisterPushRequest request, ClaimsPrincipal user, PushPreferences push, CancellationToken ct) =>
        TypedResults.Ok(await push.RegisterAsync(user.UserId(), user.DeviceId(), request, ct));

    private static async Task<Ok<PushTargetListResponse>> ListTargetsAsync(ClaimsPrincipal user, PushPreferences push, CancellationToken ct) =>
        TypedResults.Ok(await push.ListAsync(user.UserId(), user.DeviceId(), ct));

    private static async Task<NoContent> UnregisterAsync(ClaimsPrincipal user, PushPreferences push, CancellationToken ct)
    {
        await push.UnregisterAsync(user.DeviceId(), ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<PushSettingsDto>> GetSettingsAsync(ClaimsPrincipal user, PushPreferences push, CancellationToken ct) =>
        TypedResults.Ok(await push.GetSettingsAsync(user.UserId(), ct));

    private static async Task<Ok<PushSettingsDto>> SetSettingsAsync(PushSettingsDto request, ClaimsPrincipal user, PushPreferences push, CancellationToken ct) =>
        TypedResults.Ok(await push.SetSettingsAsync(user.UserId(), request, ct));

    private static async Task<Ok<RoomMuteListResponse>> ListMutesAsync(ClaimsPrincipal user, PushPreferences push, CancellationToken ct) =>
        TypedResults.Ok(await push.ListMutesAsync(user.UserId(), ct));

    private static async Task<Ok<RoomMuteDto>> MuteAsync(long roomId, MuteRoomRequest? request, ClaimsPrincipal user, PushPreferences push, CancellationToken ct) =>
        TypedResults.Ok(await push.MuteAsync(user.UserId(), roomId, request?.Until, ct));

    private static async Task<NoContent> UnmuteAsync(long roomId, ClaimsPrincipal user, PushPreferences push, CancellationToken ct)
    {
        await push.UnmuteAsync(user.UserId(), roomId, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<DeadLetterListResponse>> ListDeadLettersAsync(IOutboxStore outbox, string? cursor, int? limit, CancellationToken ct)
    {
        long after = 0;
        if (cursor is not null && !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            throw LimeException.Validation("cursor is not valid.");
        }

        int take = limit ?? 100;
        if (take is < 1 or > MaxDeadLetterPage)
        {
            throw LimeException.Validation($"limit must be 1-{MaxDeadLetterPage}.");
        }

        var rows = await outbox.ListDeadLettersAsync(after, take, ct);
        var page = rows.Select(d => new DeadLetterDto(d.Id, d.Topic, d.RoomId, d.Seq, d.TargetId, (int)d.Attempts, d.LastError, d.CreatedAt, d.DeadAt)).ToArray();
        string? next = rows.Count == take ? rows[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new DeadLetterListResponse(page, next));
    }

    private static async Task<Ok<RequeueResponse>> RequeueAsync(RequeueRequest request, IOutboxStore outbox, TimeProvider time, CancellationToken ct)
    {
        if (request.Ids is { Length: 0 or > MaxDeadLetterPage })
        {
            throw LimeException.Validation($"ids must list 1-{MaxDeadLetterPage} dead letters, or be null for all.");
        }

        return TypedResults.Ok(new RequeueResponse(await outbox.RequeueAsync(request.Ids, time.GetUtcNow().ToUnixTimeMilliseconds(), ct)));
    }

    private static async Task<Ok<PushStatsResponse>> GetStatsAsync(IOutboxStore outbox, PushMetrics metrics, TimeProvider time, CancellationToken ct)
    {
        var stored = await outbox.StatsAsync(ct);
        return TypedResults.Ok(metrics.Snapshot(stored, time.GetUtcNow().ToUnixTimeMilliseconds()));
    }
}
