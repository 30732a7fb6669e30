using System.Net;
using Lime.Protocol;
using Lime.Server.Api;
using Lime.Server.Diagnostics;
using Lime.Server.Push;
using Lime.Server.Realtime;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Lime.Server.Hosting;

/// <summary>
/// Metrics through OpenTelemetry: the meters <c>Lime</c> and <c>Lime.Push</c>, ASP.NET Core's and the runtime's (GC,
/// thread pool), exported in Prometheus text on <c>Lime:Metrics:Path</c>, for allowed networks only
/// (docs/operations.md, Metrics).
/// </summary>
public static class LimeTelemetry
{
    public static WebApplicationBuilder AddLimeTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<LimeMetrics>();
        services.AddHostedService<HealthProbe>();
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("lime"))
            .WithMetrics(metrics => metrics
                .AddMeter(LimeMetrics.MeterName, PushMetrics.MeterName)
                .AddRuntimeInstrumentation()
                .AddAspNetCoreInstrumentation()
                // No response cache: two scrapes never see the same numbers (the default keeps one for 300 ms).
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        AddMetricsListener(builder);
        AddTracing(builder);
        AddLogFormat(builder);
        return builder;
    }

    /// <summary>
    /// <c>Lime:Logging:Format=json</c>: the built-in JSON console formatter, one object per line, UTC timestamps, scopes
    /// (request ids, <see cref="RequestLogScope"/>). Read from the configuration as the builder has it; a value that is
    /// neither name is refused at start with the other options.
    /// </summary>
    private static void AddLogFormat(WebApplicationBuilder builder)
    {
        if (JsonLogs(builder.Configuration))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
    }

    public static bool JsonLogs(IConfiguration configuration) =>
        string.Equals(configuration[$"{LimeOptions.Section}:Logging:Format"], nameof(LogFormat.Json), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// With <c>Lime:Tracing:Enabled</c>, a tracer provider for the <c>Lime</c> spans and ASP.NET Core's, exported over
    /// OTLP. Without it nothing listens to the <c>Lime</c> source, so sends make no spans at all. Read from the
    /// configuration as the builder has it; values are validated at start with the rest of the options.
    /// </summary>
    private static void AddTracing(WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection($"{LimeOptions.Section}:Tracing");
        var settings = new TracingOptions();
        section.Bind(settings);
        if (!settings.Enabled)
        {
            return;
        }

        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddSource(LimeTracing.SourceName)
            .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(settings.SampleRatio, 0, 1))))
            // The socket's upgrade request lasts as long as the connection: a span of hours says nothing.
            .AddAspNetCoreInstrumentation(o => o.Filter = context => context.Request.Path != SocketEndpoint.Path)
            .AddOtlpExporter(o =>
            {
                o.Protocol = settings.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                if (Uri.TryCreate(settings.OtlpEndpoint, UriKind.Absolute, out var endpoint))
                {
                    o.Endpoint = endpoint;
                }
            }));
    }

    /// <summary>
    /// Adds <c>Lime:Metrics:Listen</c> to the addresses the server listens on: to the URLs (<c>--urls</c>, or the default
    /// loopback address), or, when Kestrel's endpoints are configured (TLS), as one more endpoint beside them.
    /// Read from the configuration as the builder has it (command line, environment, appsettings).
    /// </summary>
    private static void AddMetricsListener(WebApplicationBuilder builder)
    {
        string listen = builder.Configuration[$"{LimeOptions.Section}:Metrics:Listen"] ?? "";
        bool valid = Uri.TryCreate(listen, UriKind.Absolute, out _); // a bad value is refused at start, naming the key
        var internalListen = Cluster.InternalChannel.ListenUrl(builder.Configuration); // HTTP/2 only (LimeServices)
        if (builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            if (valid)
            {
                builder.Configuration.AddInMemoryCollection([new("Kestrel:Endpoints:LimeMetrics:Url", listen)]);
            }

            if (internalListen is not null)
            {
                builder.Configuration.AddInMemoryCollection([
                    new("Kestrel:Endpoints:LimeInternal:Url", internalListen.ToString()),
                    new("Kestrel:Endpoints:LimeInternal:Protocols", "Http2")]);
            }

            return;
        }

        // Loopback only unless told otherwise (--urls, ASPNETCORE_URLS or the Urls key).
        string urls = builder.Configuration["urls"] is { Length: > 0 } configured ? configured : "http://127.0.0.1:5080";
        builder.WebHost.UseUrls(string.Join(';', new[] { urls, valid ? listen : null, internalListen?.ToString().TrimEnd('/') }.OfType<string>()));
    }

    /// <summary>
    /// The scrape endpoint, first in the pipeline (before forwarded headers, so the allow-list sees the TCP peer).
    /// With a listener of its own, that port serves the endpoint and nothing else, and the main one does not serve it.
    /// </summary>
    public static WebApplication UseLimeMetrics(this WebApplication app, MetricsOptions options)
    {
        int port = options.Listen.Length > 0 ? new Uri(options.Listen).Port : 0;
        var path = new PathString(options.Path);
        if (port > 0)
        {
            app.Use((context, next) =>
            {
                if (context.Connection.LocalPort == port && !context.Request.Path.Equals(path, StringComparison.Ordinal))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
        }

        if (!options.Enabled)
        {
            return app;
        }

        IPNetwork[] allowed = [.. options.EffectiveNetworks.Select(n => IPNetwork.Parse(n))];
        app.UseOpenTelemetryPrometheusScrapingEndpoint(
            meterProvider: null,
            predicate: context => context.Request.Path.Equals(path, StringComparison.Ordinal) && (port == 0 || context.Connection.LocalPort == port),
            path: null,
            configureBranchedPipeline: branch => branch.Use(async (context, next) =>
            {
                if (IsAllowed(context.Connection.RemoteIpAddress, allowed))
                {
                    await next(context);
                    return;
                }

                var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
                await ProblemResponses.WriteAsync(problems, context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden,
                    "Metrics are served to the networks in Lime:Metrics:AllowedNetworks only.");
            }),
            optionsName: null);
        return app;
    }

    private static bool IsAllowed(IPAddress? caller, IPNetwork[] allowed)
    {
        if (caller is null)
        {
            return false; // no TCP peer (an in-process test server): nothing to match
        }

        if (caller.IsIPv4MappedToIPv6)
        {
            caller = caller.MapToIPv4();
        }

        foreach (var network in allowed)
        {
            if (network.Contains(caller))
            {
                return true;
            }
        }

        return false;
    }
}
