using Microsoft.AspNetCore.HttpOverrides;
using Lime.Server.Api;
using Lime.Server.Cluster;
using Lime.Server.Diagnostics;
using Lime.Server.Realtime;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Lime.Server.Hosting;

/// <summary>Middleware order and endpoint map.</summary>
public static class LimePipeline
{
    public static WebApplication UseLime(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<LimeOptions>>().Value;
        var database = app.Services.GetRequiredService<ISqlDatabase>();
        database.Migrate();
        Log.Starting(app.Logger, options.NodeId, database.Dialect.Name, database.Location, options.Fanout.Provider);

        app.UseLimeMetrics(options.Metrics); // first: the allow-list sees the TCP peer, not a forwarded address
        app.UseLimeInternal(options.Cluster); // forwarded writes on the internal listener only (Cluster/ForwardEndpoint.cs)
        if (LimeTelemetry.JsonLogs(app.Configuration))
        {
            app.UseRequestLogScope(); // before the exception handler, so its error lines carry the request id too
        }

        if (options.Cluster.TrustForwardedHeaders)
        {
            // Behind a TLS-terminating load balancer: take the client's scheme and address from it.
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
            forwarded.KnownIPNetworks.Clear();
            forwarded.KnownProxies.Clear();
            app.UseForwardedHeaders(forwarded);
        }

        app.UseExceptionHandler();
        // The socket endpoint before the rest: an open socket keeps every middleware in front of it pending (SocketEndpoint).
        app.UseWebSockets();
        app.UseRealtime();
        app.UseStatusCodePages();
        UseWebClient(app);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter(); // per-address throttles of /api/auth (Auth/AuthThrottle.cs)

        app.MapOpenApi();
        app.MapScalarApiReference("/docs", o => o.WithTitle("LIME API"));
        app.MapHealthApi();
        app.MapAuthApi();
        app.MapUsersApi();
        app.MapRoomsApi();
        app.MapMessageOperationsApi();
        app.MapModerationApi();
        app.MapContactsApi();
        app.MapPushApi();
        app.MapSearchApi();
        app.MapNodesApi();
        app.MapAttachmentsApi();
        app.MapAdminApi();
        app.MapSelfServiceApi();
        return app;
    }
    /// <summary>The built web client (web/, copied next to the server as webapp/ by the build).</summary>
    private static readonly string WebRoot = Path.Combine(AppContext.BaseDirectory, "webapp");

    /// <summary>
    /// Serves the web client: security headers on every response (a strict Content-Security-Policy everywhere except
    /// the API reference under /docs, whose page needs inline scripts), the hashed assets (cached for a year), and
    /// index.html for the client's own routes (/ and /rooms/…). Other paths are untouched, so unknown /api routes
    /// still answer with a problem. When the client was not built (no npm), / explains how to build it.
    /// </summary>
    private static void UseWebClient(WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            if (!context.Request.Path.StartsWithSegments("/docs"))
            {
                headers.XFrameOptions = "DENY";
                headers.ContentSecurityPolicy = ContentSecurityPolicy(context.Request.Host);
            }

            return next(context);
        });

        if (Directory.Exists(WebRoot))
        {
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(WebRoot),
                OnPrepareResponse = file => file.Context.Response.Headers.CacheControl =
                    file.Context.Request.Path.StartsWithSegments("/assets") ? "public, max-age=31536000, immutable" : "no-cache",
            });
        }

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            bool clientRoute = path == "/" || path.StartsWithSegments("/rooms");
            if (!clientRoute || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            {
                await next(context);
                return;
            }

            context.Response.Headers.CacheControl = "no-cache";
            context.Response.ContentType = "text/html; charset=utf-8";
            string index = Path.Combine(WebRoot, "index.html");
            if (File.Exists(index))
            {
                await context.Response.SendFileAsync(index);
            }
            else
            {
                await context.Response.WriteAsync(WebClientMissingPage);
            }
        });
    }

    /// <summary>
    /// Scripts, styles and everything else from this origin only: no inline scripts, no eval, no plugins, no framing.
    /// The socket is same-origin too (ws/wss are listed explicitly for browsers whose 'self' does not cover them).
    /// </summary>
    private static string ContentSecurityPolicy(HostString host)
    {
        // Nearly every request names the same host: reuse the last header value. Besides sparing an allocation per
        // request, every open WebSocket keeps its 101 response's headers for its lifetime, ~0.5 KB each if not shared.
        var last = _lastPolicy;
        if (last is not null && last.Host == host.Value)
        {
            return last.Policy;
        }

        string policy = BuildContentSecurityPolicy(host);
        _lastPolicy = new HostPolicy(host.Value, policy);
        return policy;
    }

    private sealed record HostPolicy(string? Host, string Policy);

    private static HostPolicy? _lastPolicy;

    private static string BuildContentSecurityPolicy(HostString host)
    {
        string sockets = host.HasValue && host.Value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']')
            ? $" ws://{host.Value} wss://{host.Value}"
            : "";
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
            $"connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    private const string WebClientMissingPage = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>LIME</title></head>
        <body>
        <h1>LIME is running</h1>
        <p>The web client has not been built: npm (Node.js 20 or later) was not found when the server was built.</p>
        <p>Install Node.js, then run <code>dotnet build src/Lime.Server</code> again (or <code>npm ci &amp;&amp; npm run build</code>
        in <code>web/</code>) and restart the server. The REST and WebSocket API work without it; see
        <a href="/docs">/docs</a>.</p>
        </body></html>
        """;
}
