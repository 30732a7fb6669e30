using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Admin;
using Lime.Server.Auth;
using Lime.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Lime.Server.Api;

/// <summary>
/// Self-service (docs/operations.md "Self-service"): log out one of my devices (a lost phone), export my data,
/// delete my account; and a room's message TTL for its owners and admins (PUT /api/rooms/{id}/retention).
/// GET /api/me/devices is in <see cref="UsersApi"/>.
/// </summary>
public static class SelfServiceApi
{
    public static IEndpointRouteBuilder MapSelfServiceApi(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me").WithTags("Users").RequireAuthorization();
        me.MapDelete("/devices/{id:long}", RevokeDeviceAsync).ProducesLimeProblems(401, 404);
        me.MapGet("/export", ExportAsync).ProducesLimeProblems(401);
        me.MapDelete("/", DeleteMeAsync).ProducesLimeProblems(400, 401, 403, 429);
        app.MapPut("/api/rooms/{id:long}/retention", SetRetentionAsync).WithTags("Rooms").RequireAuthorization().ProducesLimeProblems(400, 401, 403, 404);
        return app;
    }

    private static async Task<NoContent> RevokeDeviceAsync(long id, ClaimsPrincipal user, AccountService accounts, CancellationToken ct)
    {
        await accounts.RevokeOwnDeviceAsync(user.UserId(), id, ct);
        return TypedResults.NoContent();
    }

    private static async Task ExportAsync(HttpContext http, ClaimsPrincipal user, DataExport export, CancellationToken ct)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"lime-export.json\"";
        await export.WriteAsync(user.UserId(), user.DeviceId(), http.Response.BodyWriter, ct);
    }

    // Not cancelled with the request: once the password is checked, the deletion is finished.
    private static async Task<NoContent> DeleteMeAsync([FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] DeleteAccountRequest? request, ClaimsPrincipal user, AccountDeletion deletion)
    {
        await deletion.DeleteOwnAsync(user.UserId(), request, CancellationToken.None);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<OperationAckDto>> SetRetentionAsync(long id, SetRetentionRequest request, ClaimsPrincipal user, IRoomWriter writer, CancellationToken ct)
    {
        var result = await writer.WriteAsync(new SetRetention(id, user.UserId(), request.ClientMsgId, request.Days), ct);
        var ack = result.Ack;
        return TypedResults.Ok(new OperationAckDto(id, result.Changed, ack?.Duplicate ?? false, ack?.Id, ack?.Seq, ack?.Ts, request.ClientMsgId));
    }
}
