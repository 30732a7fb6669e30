using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Lime.Server.Api;

/// <summary>
/// /api/rooms/{id}/messages/{seq}… and /api/rooms/{id}/pins: what members do to messages after sending them. Every
/// route needs membership; each change is a room event (docs/protocol.md §5). <c>client_msg_id</c> (body or query)
/// makes a retry return the first outcome.
/// </summary>
public static class MessageOperationsApi
{
    public static IEndpointRouteBuilder MapMessageOperationsApi(this IEndpointRouteBuilder app)
    {
        var rooms = app.MapGroup("/api/rooms/{id:long}").WithTags("Messages").RequireAuthorization();
        rooms.MapPatch("/messages/{seq:long}", EditAsync).ProducesLimeProblems(400, 401, 403, 404, 410, 413, 429);
        rooms.MapDelete("/messages/{seq:long}", DeleteAsync).ProducesLimeProblems(400, 401, 403, 404, 410, 429);
        rooms.MapPost("/messages/{seq:long}/hide", HideAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapPut("/messages/{seq:long}/reactions/{emoji}", AddReactionAsync).ProducesLimeProblems(400, 401, 403, 404, 409, 410, 429);
        rooms.MapDelete("/messages/{seq:long}/reactions/{emoji}", RemoveReactionAsync).ProducesLimeProblems(400, 401, 403, 404, 410, 429);
        rooms.MapPut("/pins/{seq:long}", PinAsync).ProducesLimeProblems(400, 401, 403, 404, 409, 410, 429);
        rooms.MapDelete("/pins/{seq:long}", UnpinAsync).ProducesLimeProblems(400, 401, 403, 404, 429);
        return app;
    }

    // Not cancelled with the request (as sends): once queued the operation may commit, and a retry resolves it.
    private static async Task<Ok<OperationAckDto>> EditAsync(long id, long seq, EditMessageRequest request, ClaimsPrincipal user, MessageOperations ops) =>
        TypedResults.Ok(await ops.EditAsync(user.UserId(), id, seq, request.Text, request.ClientMsgId));

    private static async Task<Ok<OperationAckDto>> DeleteAsync(long id, long seq, [FromQuery(Name = "client_msg_id")] string? clientMsgId, ClaimsPrincipal user, MessageOperations ops) =>
        TypedResults.Ok(await ops.DeleteAsync(user.UserId(), id, seq, clientMsgId));

    private static async Task<NoContent> HideAsync(long id, long seq, ClaimsPrincipal user, MessageOperations ops)
    {
        await ops.HideAsync(user.UserId(), id, seq);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<OperationAckDto>> AddReactionAsync(long id, long seq, string emoji, [FromQuery(Name = "client_msg_id")] string? clientMsgId, ClaimsPrincipal user, MessageOperations ops) =>
        TypedResults.Ok(await ops.ReactAsync(user.UserId(), id, seq, emoji, add: true, clientMsgId));

    private static async Task<Ok<OperationAckDto>> RemoveReactionAsync(long id, long seq, string emoji, [FromQuery(Name = "client_msg_id")] string? clientMsgId, ClaimsPrincipal user, MessageOperations ops) =>
        TypedResults.Ok(await ops.ReactAsync(user.UserId(), id, seq, emoji, add: false, clientMsgId));

    private static async Task<Ok<OperationAckDto>> PinAsync(long id, long seq, [FromQuery(Name = "client_msg_id")] string? clientMsgId, ClaimsPrincipal user, MessageOperations ops) =>
        TypedResults.Ok(await ops.PinAsync(user.UserId(), id, seq, pin: true, clientMsgId));

    private static async Task<Ok<OperationAckDto>> UnpinAsync(long id, long seq, [FromQuery(Name = "client_msg_id")] string? clientMsgId, ClaimsPrincipal user, MessageOperations ops) =>
        TypedResults.Ok(await ops.PinAsync(user.UserId(), id, seq, pin: false, clientMsgId));
}
