using Lime.Protocol;
using Lime.Server.Auth;
using Microsoft.Extensions.Options;

namespace Lime.Server.Realtime;

/// <summary>
/// GET /ws: the WebSocket upgrade. Authentication happens before the upgrade (bearer header, or access_token in
/// the query string for browsers); the Origin allow-list is enforced by the WebSockets middleware (403).
/// </summary>
public static class SocketEndpoint
{
    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder app)
    {
        app.Map("/ws", HandleAsync)
            .RequireAuthorization()
            .ExcludeFromDescription();
        return app;
    }

    private static async Task HandleAsync(HttpContext context, SocketSession session, IOptions<LimeOptions> options)
    {
        // The WebSockets middleware checks Origin too, but only when it performs the upgrade itself; checking here
        // holds whatever server hosts the endpoint. No Origin header: a native client, allowed.
        if (context.Request.Headers.Origin is { Count: > 0 } origin
            && !options.Value.Realtime.AllowedOrigins.Contains(origin.ToString(), StringComparer.OrdinalIgnoreCase))
        {
            await Results.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: ErrorCodes.Forbidden,
                detail: "This origin may not open a WebSocket.",
                extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.Forbidden }).ExecuteAsync(context);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Results.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "WebSocket upgrade required",
                extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.Validation }).ExecuteAsync(context);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false });
        await session.RunAsync(socket, context.User.UserId(), context.User.DeviceId(), context.RequestAborted);
    }
}
