using Lime.Protocol;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;
using Lime.Server.Auth;
using Microsoft.Extensions.Options;

namespace Lime.Server.Realtime;

/// <summary>
/// GET /ws: the WebSocket upgrade. The Origin is checked first (403 for a browser page from elsewhere), then the
/// token (bearer header, or access_token in the query string for browsers), then the upgrade.
/// </summary>
/// <remarks>
/// /ws is a branch of its own near the front of the pipeline (<see cref="UseRealtime"/>), not a routed endpoint
/// behind the authentication and authorization middleware: every middleware that awaits the rest of the pipeline
/// keeps its pending state machine, and whatever that references, for as long as the request runs, which for a
/// socket is hours. Behind five of them (and the authorization services they held) an idle connection held ≈ 1.3 KB more (BENCHMARKS.md, "connections"). The
/// branch does the same checks itself with the same services: the JwtBearer scheme (with its events: query-string
/// token on /ws, logged-out device sessions, the 401 problem) and the default policy's rule, an authenticated user.
/// </remarks>
public static class SocketEndpoint
{
    public const string Path = "/ws";

    /// <summary>Answers /ws; everything else goes on down the pipeline.</summary>
    public static IApplicationBuilder UseRealtime(this IApplicationBuilder app) =>
        app.Use(next => context => context.Request.Path == Path ? HandleAsync(context) : next(context));

    /// <summary>
    /// WebSocket upgrades are not covered by CORS, so /ws checks the Origin of browser requests itself, before
    /// authentication: allowed are requests without Origin (native clients), the page's own origin (the web client
    /// served by this node, whatever host and port it is reached on), and Lime:Realtime:AllowedOrigins.
    /// </summary>
    private static bool OriginAllowed(string origin, HttpRequest request, RealtimeOptions options) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase)
        || options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase);

    private static async Task HandleAsync(HttpContext context)
    {
        // No local here may hold request state (the request's services, its user): this frame lives as long as the socket.
        if (context.Request.Headers.Origin is { Count: > 0 } origin
            && !OriginAllowed(origin.ToString(), context.Request, context.RequestServices.GetRequiredService<IOptions<LimeOptions>>().Value.Realtime))
        {
            await Problem(context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, ErrorCodes.Forbidden, "This origin may not open a WebSocket.");
            return;
        }

        if (await AuthenticateAsync(context) is not var (userId, deviceId))
        {
            return;
        }

        // Sockets per user: the new one is refused, not the oldest closed. A client told 4001/4008 reconnects, so closing
        // the oldest would let 21 devices of one user take turns knocking each other off; a refused upgrade is final
        // until one of the open sockets ends (idle ones go within IdleTimeoutSeconds).
        var registry = context.RequestServices.GetRequiredService<ConnectionRegistry>();
        int max = context.RequestServices.GetRequiredService<IOptions<LimeOptions>>().Value.Realtime.MaxSocketsPerUser;
        if (!registry.TryReserveSocket(userId, max))
        {
            await Problem(context, StatusCodes.Status429TooManyRequests, ErrorCodes.LimitReached, ErrorCodes.LimitReached,
                $"At most {max} sockets per user are open at once on this node; close one first.");
            return;
        }

        try
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                await Problem(context, StatusCodes.Status400BadRequest, "WebSocket upgrade required", ErrorCodes.Validation, null);
                return;
            }

            var session = context.RequestServices.GetRequiredService<SocketSession>();
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false });
            await ReleaseRequestStateAsync(context);
            await session.RunAsync(socket, userId, deviceId, context.RequestAborted);
        }
        finally
        {
            registry.ReleaseSocket(userId);
        }
    }

    /// <summary>The token's user and device, or null after answering 401 (the JwtBearer challenge: a problem with code unauthenticated).</summary>
    private static async Task<(long UserId, long DeviceId)?> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (result is { Succeeded: true, Principal.Identity.IsAuthenticated: true })
        {
            return (result.Principal.UserId(), result.Principal.DeviceId());
        }

        context.Response.Headers.XContentTypeOptions = "nosniff";
        await context.ChallengeAsync(JwtBearerDefaults.AuthenticationScheme);
        return null;
    }

    private static Task Problem(HttpContext context, int status, string title, string code, string? detail)
    {
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Problem(statusCode: status, title: title, detail: detail,
            extensions: new Dictionary<string, object?> { ["code"] = code }).ExecuteAsync(context);
    }

    /// <summary>
    /// The upgraded request stays open for the socket's lifetime (hours), but after the upgrade nothing reads its
    /// headers, user or scoped services any more. Letting them go saves several KB per idle connection: the request
    /// headers and query (the access token), HttpContext.Items, the authenticated principal with its claims and
    /// parsed token (see <see cref="ReleasableAuthenticationHandlerProvider"/>), and the request's service scope. The session uses singletons only.
    /// </summary>
    private static async ValueTask ReleaseRequestStateAsync(HttpContext context)
    {
        (context.RequestServices.GetService<IAuthenticationHandlerProvider>() as ReleasableAuthenticationHandlerProvider)?.Release();
        context.Features.Set<IAuthenticateResultFeature>(null);
        context.Features.Set<IHttpAuthenticationFeature>(null);
        context.Features.Set<IItemsFeature>(null); // whatever a middleware in front put there
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
