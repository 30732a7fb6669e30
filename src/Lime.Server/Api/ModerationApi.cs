using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>
/// Room settings and deletion, bans, member mutes, invite links and join requests (/api/rooms/{id}…, /api/invites),
/// and blocks (/api/me/blocks). Every room change is a room event (docs/protocol.md §11).
/// </summary>
public static class ModerationApi
{
    public static IEndpointRouteBuilder MapModerationApi(this IEndpointRouteBuilder app)
    {
        var rooms = app.MapGroup("/api/rooms/{id:long}").WithTags("Moderation").RequireAuthorization();
        rooms.MapPatch("/", UpdateRoomAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapDelete("/", DeleteRoomAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapGet("/bans", ListBansAsync).ProducesLimeProblems(401, 403, 404);
        rooms.MapPut("/bans/{userId:long}", BanAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapDelete("/bans/{userId:long}", UnbanAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapPut("/members/{userId:long}/mute", MuteAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapDelete("/members/{userId:long}/mute", UnmuteAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapPost("/invites", CreateInviteAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapGet("/invites", ListInvitesAsync).ProducesLimeProblems(401, 403, 404);
        rooms.MapDelete("/invites/{inviteId:long}", RevokeInviteAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapGet("/join-requests", ListJoinRequestsAsync).ProducesLimeProblems(401, 403, 404);
        rooms.MapPost("/join-requests/{userId:long}/approve", ApproveAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapDelete("/join-requests/{userId:long}", RejectAsync).ProducesLimeProblems(400, 401, 403, 404);

        var invites = app.MapGroup("/api/invites").WithTags("Moderation").RequireAuthorization();
        invites.MapGet("/{code}", PreviewInviteAsync).ProducesLimeProblems(401, 404, 410);
        invites.MapPost("/{code}/join", JoinByInviteAsync).ProducesLimeProblems(400, 401, 403, 404, 410);

        var blocks = app.MapGroup("/api/me/blocks").WithTags("Moderation").RequireAuthorization();
        blocks.MapGet("/", ListBlocksAsync).ProducesLimeProblems(401);
        blocks.MapPut("/{userId:long}", BlockAsync).ProducesLimeProblems(400, 401, 404);
        blocks.MapDelete("/{userId:long}", UnblockAsync).ProducesLimeProblems(400, 401, 404);
        return app;
    }

    private static async Task<Ok<OperationAckDto>> UpdateRoomAsync(long id, UpdateRoomRequest request, ClaimsPrincipal user, RoomModeration moderation) =>
        TypedResults.Ok(await moderation.UpdateRoomAsync(user.UserId(), id, request));

    private static async Task<NoContent> DeleteRoomAsync(long id, ClaimsPrincipal user, RoomModeration moderation)
    {
        await moderation.DeleteRoomAsync(user.UserId(), id);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<BanListResponse>> ListBansAsync(long id, ClaimsPrincipal user, RoomModeration moderation, CancellationToken ct) =>
        TypedResults.Ok(await moderation.ListBansAsync(user.UserId(), id, ct));

    private static async Task<Ok<OperationAckDto>> BanAsync(long id, long userId, ClaimsPrincipal user, RoomModeration moderation) =>
        TypedResults.Ok(await moderation.BanAsync(user.UserId(), id, userId, ban: true));

    private static async Task<Ok<OperationAckDto>> UnbanAsync(long id, long userId, ClaimsPrincipal user, RoomModeration moderation) =>
        TypedResults.Ok(await moderation.BanAsync(user.UserId(), id, userId, ban: false));

    private static async Task<Ok<OperationAckDto>> MuteAsync(long id, long userId, MuteMemberRequest? request, ClaimsPrincipal user, RoomModeration moderation) =>
        TypedResults.Ok(await moderation.MuteAsync(user.UserId(), id, userId, request?.DurationSeconds, mute: true));

    private static async Task<Ok<OperationAckDto>> UnmuteAsync(long id, long userId, ClaimsPrincipal user, RoomModeration moderation) =>
        TypedResults.Ok(await moderation.MuteAsync(user.UserId(), id, userId, null, mute: false));

    private static async Task<Created<InviteDto>> CreateInviteAsync(long id, CreateInviteRequest request, ClaimsPrincipal user, RoomModeration moderation)
    {
        var invite = await moderation.CreateInviteAsync(user.UserId(), id, request);
        return TypedResults.Created($"/api/invites/{invite.Code}", invite);
    }

    private static async Task<Ok<InviteListResponse>> ListInvitesAsync(long id, ClaimsPrincipal user, RoomModeration moderation, CancellationToken ct) =>
        TypedResults.Ok(await moderation.ListInvitesAsync(user.UserId(), id, ct));

    private static async Task<NoContent> RevokeInviteAsync(long id, long inviteId, ClaimsPrincipal user, RoomModeration moderation)
    {
        await moderation.RevokeInviteAsync(user.UserId(), id, inviteId);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<JoinRequestListResponse>> ListJoinRequestsAsync(long id, ClaimsPrincipal user, RoomModeration moderation, CancellationToken ct) =>
        TypedResults.Ok(await moderation.ListJoinRequestsAsync(user.UserId(), id, ct));

    private static async Task<NoContent> ApproveAsync(long id, long userId, ClaimsPrincipal user, RoomModeration moderation)
    {
        await moderation.ResolveJoinRequestAsync(user.UserId(), id, userId, approve: true);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> RejectAsync(long id, long userId, ClaimsPrincipal user, RoomModeration moderation)
    {
        await moderation.ResolveJoinRequestAsync(user.UserId(), id, userId, approve: false);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<InvitePreviewDto>> PreviewInviteAsync(string code, RoomModeration moderation, CancellationToken ct) =>
        TypedResults.Ok(await moderation.PreviewInviteAsync(code, ct));

    /// <summary>200 with the room once joined; 202 with <c>pending</c> when the room requires approval.</summary>
    private static async Task<Results<Ok<JoinResultDto>, Accepted<JoinResultDto>>> JoinByInviteAsync(string code, ClaimsPrincipal user, RoomModeration moderation)
    {
        var result = await moderation.JoinByInviteAsync(user.UserId(), code);
        return result.Pending ? TypedResults.Accepted((string?)null, result) : TypedResults.Ok(result);
    }

    private static async Task<Ok<BlockListResponse>> ListBlocksAsync(ClaimsPrincipal user, RoomModeration moderation, CancellationToken ct) =>
        TypedResults.Ok(await moderation.ListBlocksAsync(user.UserId(), ct));

    private static async Task<NoContent> BlockAsync(long userId, ClaimsPrincipal user, RoomModeration moderation)
    {
        await moderation.BlockAsync(user.UserId(), userId, block: true);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> UnblockAsync(long userId, ClaimsPrincipal user, RoomModeration moderation)
    {
        await moderation.BlockAsync(user.UserId(), userId, block: false);
        return TypedResults.NoContent();
    }
}
