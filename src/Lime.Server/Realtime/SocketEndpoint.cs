using Lime.Protocol;
using Lime.Server.Auth;
using Microsoft.Extensions.Options;

namespace Lime.Server.Realtime;

/// <summary>
/// GET /ws: the WebSocket upgrade. The Origin is checked first (403 for a browser page from elsewhere), then the
/// token (bearer header, or access_token in the query string for browsers), then the upgrade.
/// </summary>
public static class SocketEndpoint
{
    /// <summary>
    /// WebSocket upgrades are not covered by CORS, so /ws checks the Origin of browser requests itself, before
    /// authentication: allowed are requests without Origin (native clients), the page's own origin (the web client
    /// served by this node, whatever host and port it is reached on), and Lime:Realtime:AllowedOrigins.
    /// </summary>
    public static IApplicationBuilder UseSocketOriginPolicy(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.Path == "/ws"
            && context.Request.Headers.Origin is { Count: > 0 } origin
            && !OriginAllowed(origin.ToString(), context.Request, context.RequestServices.GetRequiredService<IOptions<LimeOptions>>().Value.Realtime))
        {
            await Results.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: ErrorCodes.Forbidden,
                detail: "This origin may not open a WebSocket.",
                extensions: new Dictionary<string, object?> { ["code"] = ErrorCodes.Forbidden }).ExecuteAsync(context);
            return;
        }

        await next(context);
    });

    private static bool OriginAllowed(string origin, HttpRequest request, RealtimeOptions options) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase)
        || options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase);

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
