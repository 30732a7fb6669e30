using Lime.Protocol;
using Lime.Server.Auth;

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

    private static async Task HandleAsync(HttpContext context, SocketSession session)
    {
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
