using Lime.Protocol;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;
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

        long userId = context.User.UserId();
        long deviceId = context.User.DeviceId();
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false });
        await ReleaseRequestStateAsync(context);
        await session.RunAsync(socket, userId, deviceId, context.RequestAborted);
    }

    /// <summary>
    /// The upgraded request stays open for the socket's lifetime (hours), but after the upgrade nothing reads its
    /// headers, user or scoped services any more. Letting them go saves several KB per idle connection: the request
    /// headers and query (the access token), the authenticated principal with its claims and
    /// parsed token (see <see cref="ReleasableAuthenticationHandlerProvider"/>), and the request's service scope. The session uses singletons only.
    /// </summary>
    private static async ValueTask ReleaseRequestStateAsync(HttpContext context)
    {
        (context.RequestServices.GetService<IAuthenticationHandlerProvider>() as ReleasableAuthenticationHandlerProvider)?.Release();
        context.Features.Set<IAuthenticateResultFeature>(null);
        context.Features.Set<IHttpAuthenticationFeature>(null);
        // Remove (not Clear: Kestrel keeps cleared values to reuse on the connection's next request, which never comes).
        var headers = context.Request.Headers;
        foreach (string name in headers.Keys.ToArray())
        {
            headers.Remove(name);
        }
        context.Request.QueryString = QueryString.Empty;
        if (context.Features.Get<IServiceProvidersFeature>() is IAsyncDisposable services)
        {
            await services.DisposeAsync();
        }
    }
}
