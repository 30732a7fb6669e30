using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Admin;
using Lime.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>
/// /api/admin: users, rooms, stats and the audit, for the user ids in Lime:Push:AdminUserIds only; every call goes
/// through <see cref="AdminAudit"/> (403 and nothing done for anyone else, each call recorded). The dead-letter
/// routes are in <see cref="PushApi"/>, behind the same filter. docs/operations.md, "Admin API".
/// </summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").WithTags("Admin").RequireAuthorization().AddEndpointFilter<AdminAudit>();
        admin.MapGet("/users", FindUsersAsync).ProducesLimeProblems(400, 401, 403);
        admin.MapGet("/users/{id:long}", GetUserAsync).ProducesLimeProblems(401, 403, 404);
        admin.MapPost("/users/{id:long}/disable", DisableAsync).ProducesLimeProblems(401, 403, 404);
        admin.MapPost("/users/{id:long}/enable", EnableAsync).ProducesLimeProblems(401, 403, 404);
        admin.MapPost("/users/{id:long}/logout", LogoutAsync).ProducesLimeProblems(401, 403, 404);
        admin.MapDelete("/users/{id:long}", DeleteUserAsync).ProducesLimeProblems(400, 401, 403, 404);
        admin.MapGet("/rooms", FindRoomsAsync).ProducesLimeProblems(400, 401, 403);
        admin.MapGet("/rooms/{id:long}", GetRoomAsync).ProducesLimeProblems(401, 403, 404);
        admin.MapDelete("/rooms/{id:long}", DeleteRoomAsync).ProducesLimeProblems(400, 401, 403, 404);
        admin.MapPost("/rooms/{id:long}/purge", PurgeAsync).ProducesLimeProblems(400, 401, 403, 404);
        admin.MapGet("/stats", StatsAsync).ProducesLimeProblems(400, 401, 403);
        admin.MapGet("/audit", AuditAsync).ProducesLimeProblems(400, 401, 403);
        return app;
    }

    private static async Task<Ok<AdminUserListResponse>> FindUsersAsync(string? q, int? limit, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.FindUsersAsync(q, limit, ct));

    private static async Task<Ok<AdminUserDto>> GetUserAsync(long id, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.GetUserAsync(id, ct));

    private static async Task<Ok<AdminUserDto>> DisableAsync(long id, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.DisableAsync(id, ct));

    private static async Task<Ok<AdminUserDto>> EnableAsync(long id, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.EnableAsync(id, ct));

    private static async Task<Ok<AdminLogoutResponse>> LogoutAsync(long id, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.LogoutAsync(id, ct));

    // Not cancelled with the request: once started, the deletion is finished (it is a series of commits).
    private static async Task<NoContent> DeleteUserAsync(long id, ClaimsPrincipal user, AccountDeletion deletion)
    {
        await deletion.DeleteByAdminAsync(user.UserId(), id, CancellationToken.None);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<AdminRoomListResponse>> FindRoomsAsync(string? q, int? limit, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.FindRoomsAsync(q, limit, ct));

    private static async Task<Ok<AdminRoomDto>> GetRoomAsync(long id, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.GetRoomAsync(id, ct));

    private static async Task<NoContent> DeleteRoomAsync(long id, ClaimsPrincipal user, AdminService admin, CancellationToken ct)
    {
        await admin.DeleteRoomAsync(user.UserId(), id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<PurgeResponse>> PurgeAsync(long id, PurgeRequest request, ClaimsPrincipal user, AdminService admin) =>
        TypedResults.Ok(await admin.PurgeAsync(user.UserId(), id, request, CancellationToken.None));

    private static async Task<Ok<AdminStatsResponse>> StatsAsync(int? days, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.StatsAsync(days, ct));

    private static async Task<Ok<AuditListResponse>> AuditAsync(string? cursor, int? limit, AdminService admin, CancellationToken ct) =>
        TypedResults.Ok(await admin.ListAuditAsync(cursor, limit, ct));
}
