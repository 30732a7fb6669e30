using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Api;
using Lime.Server.Attachments;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Lime.Server.Cluster;
using Lime.Server.Fanout;
using Lime.Server.Presence;
using Lime.Server.Push;
using Lime.Server.Redis;
using Lime.Server.Realtime;
using Lime.Server.Search;
using Lime.Server.Storage;
using Lime.Server.Storage.Postgres;
using Lime.Server.Storage.Sql;
using Lime.Server.Storage.Sqlite;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Lime.Server.Hosting;

/// <summary>Service registration: options, the storage and fanout backends, auth, realtime.</summary>
public static class LimeServices
{
    public static WebApplicationBuilder AddLime(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LimeOptions>().BindConfiguration(LimeOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimeOptions>, LimeOptionsValidator>();

        // Listen addresses (loopback unless told otherwise), metrics and their endpoint's listener (Hosting/LimeTelemetry.cs).
        builder.AddLimeTelemetry();

        // Request-start log lines carry the query string, where browsers put access_token: keep them off. Off entirely
        // (None, not Warning: the category logs nothing per request above Information): while it is enabled at any
        // level, hosting gives every request an Activity and a logging scope, which an upgraded WebSocket keeps for
        // its lifetime (~0.7 KB per idle connection). An ActivityListener (OpenTelemetry) still gets its Activity.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new Snowflake(sp.GetRequiredService<IOptions<LimeOptions>>().Value.NodeId));
        services.AddStorage();
        services.AddFanout();
        services.AddInternalChannel();

        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<SocketSession>();
        services.AddHostedService<IdleSweeper>();
        services.AddSingleton<ChatService>();
        services.AddSingleton<SyncService>();
        services.AddSingleton<SendBudget>();
        services.AddSingleton<RoomBudget>();
        services.AddSingleton<MessageStates>();
        services.AddSingleton<MessageOperations>();
        services.AddSingleton<RoomModeration>();
        services.AddSingleton<ReadReceipts>();
        services.AddSingleton<TypingService>();
        services.AddSingleton<PresenceService>();
        services.AddHostedService(sp => sp.GetRequiredService<PresenceService>());
        services.AddSingleton<AccountService>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<DeviceSessions>();
        services.AddSingleton<IPasswordHasher<UserRecord>, PasswordHasher<UserRecord>>(); // used through Auth/PasswordHashing
        services.AddLimePush(); // outbox dispatcher + push notifications (Push/PushServices.cs)
        services.AddLimeSearch(); // message index fed by the outbox, search (Search/SearchServices.cs)
        services.AddLimeAttachments(); // uploads, blob store, downloads, sweeper (Attachments/AttachmentServices.cs)
        // The admin API, account deletion, export and retention (Admin/).
        services.AddSingleton<Admin.AdminStore>();
        services.AddSingleton<Admin.AdminService>();
        services.AddSingleton<Admin.AccountDeletion>();
        services.AddSingleton<Admin.DataExport>();
        services.AddSingleton<Admin.RetentionJob>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<Admin.RetentionJob>());

        services.AddLimeAuthentication();
        services.AddAuthThrottling();
        // Options that depend on LimeOptions are configured lazily: a test host's configuration is only complete at Build().
        // Origins are checked by SocketEndpoint (it also allows the page's own origin).
        services.AddOptions<WebSocketOptions>().Configure(o => o.KeepAliveInterval = TimeSpan.Zero); // heartbeats are application pings
        services.AddOptions<PasswordHasherOptions>().Configure<IOptions<LimeOptions>>((o, lime) => o.IterationCount = lime.Value.Auth.PasswordIterations);
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimeOptions>>((o, lime) =>
            o.Limits.MaxRequestBodySize = Math.Max(1024 * 1024, lime.Value.Limits.MaxTextBytes * 7L));

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, LimeJsonContext.Default);
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemResponses.AddCode);
        services.AddExceptionHandler<ProblemResponses>();
        services.AddOpenApi();
        return builder;
    }

    /// <summary>
    /// The storage backend: one readable switch on Lime:Storage:Provider, read when the services are first resolved
    /// (so every configuration source counts); unknown values fail at start.
    /// </summary>
    private static void AddStorage(this IServiceCollection services)
    {
        services.AddSingleton<SqliteDatabase>();
        services.AddSingleton<PostgresDatabase>();
        services.AddSingleton<SqliteRoomWriter>();
        services.AddSingleton<PostgresRoomWriter>();
        services.AddSingleton<ISqlDatabase>(sp => ChosenStorage(sp) switch
        {
            StorageProvider.Sqlite => sp.GetRequiredService<SqliteDatabase>(),
            _ => sp.GetRequiredService<PostgresDatabase>(),
        });
        // This node's group-commit writer; IRoomWriter is it, or with room ownership its decorator (AddInternalChannel).
        services.AddSingleton<RoomWriter>(sp => ChosenStorage(sp) switch
        {
            StorageProvider.Sqlite => sp.GetRequiredService<SqliteRoomWriter>(),
            _ => sp.GetRequiredService<PostgresRoomWriter>(),
        });
        services.AddSingleton<IAccountStore, SqlAccountStore>();
        services.AddSingleton<IRoomStore, SqlRoomStore>();
        services.AddSingleton<IModerationStore, SqlModerationStore>();
        services.AddHostedService(sp => sp.GetRequiredService<RoomWriter>());
        services.AddSingleton<SqliteCheckpointer>();
        // Not AddHostedService: it de-duplicates by implementation type, so a second OptionalHostedService would be dropped.
        services.AddSingleton<IHostedService>(sp => new OptionalHostedService(ChosenStorage(sp) == StorageProvider.Sqlite ? sp.GetRequiredService<SqliteCheckpointer>() : null));
    }

    /// <summary>The validated choice (an unknown name fails binding, naming the key; LimeOptionsValidator checks it is defined).</summary>
    private static StorageProvider ChosenStorage(IServiceProvider sp) => sp.GetRequiredService<IOptions<LimeOptions>>().Value.Storage.Provider;

    /// <summary>The fanout and presence backend: one readable switch on Lime:Fanout:Provider (memory | redis).</summary>
    private static void AddFanout(this IServiceCollection services)
    {
        services.AddSingleton<RedisConnection>();
        services.AddSingleton<MemoryFanout>();
        services.AddSingleton<RedisFanout>();
        services.AddSingleton<MemoryPresenceStore>();
        services.AddSingleton<RedisPresenceStore>();
        services.AddSingleton<IFanout>(sp => ChosenFanout(sp) switch
        {
            FanoutProvider.Memory => sp.GetRequiredService<MemoryFanout>(),
            _ => sp.GetRequiredService<RedisFanout>(),
        });
        services.AddSingleton<IPresenceStore>(sp => ChosenFanout(sp) switch
        {
            FanoutProvider.Memory => sp.GetRequiredService<MemoryPresenceStore>(),
            _ => sp.GetRequiredService<RedisPresenceStore>(),
        });
        services.AddHostedService(sp => sp.GetRequiredService<MemoryFanout>());
        services.AddSingleton<IHostedService>(sp => new OptionalHostedService(ChosenFanout(sp) == FanoutProvider.Redis ? sp.GetRequiredService<RedisFanout>() : null));
        // Ended device sessions reach every node (Auth/IRevocationRelay.cs); the recheck covers one lost on the way.
        services.AddSingleton<SessionRevocation>();
        services.AddSingleton<RedisRevocationRelay>();
        services.AddSingleton<IRevocationRelay>(sp => ChosenFanout(sp) switch
        {
            FanoutProvider.Memory => new SingleNodeRevocationRelay(),
            _ => sp.GetRequiredService<RedisRevocationRelay>(),
        });
        services.AddSingleton<IHostedService>(sp => new OptionalHostedService(ChosenFanout(sp) == FanoutProvider.Redis ? sp.GetRequiredService<RedisRevocationRelay>() : null));
        services.AddSingleton<SessionRecheck>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionRecheck>());
        services.AddSingleton<NodeRegistry>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeRegistry>());
    }

    /// <summary>
    /// The internal channel (forwarded writes, Cluster/ForwardEndpoint.cs): its key, client and the HTTP/2-only
    /// listener on Lime:Cluster:InternalUrl's port (cleartext with prior knowledge needs Http2 alone, not Http1AndHttp2).
    /// </summary>
    private static void AddInternalChannel(this IServiceCollection services)
    {
        services.AddSingleton<InternalChannel>();
        services.AddSingleton<ForwardTransport>();
        services.AddSingleton<ForwardClient>();
        // Room ownership (PostgreSQL with an internal URL, Lime:Cluster:Ownership): leases and the forwarding writer.
        // Registered after the room writer, so the leases stop first (a drain lets partitions go, then the writer ends).
        services.AddSingleton<PartitionLeases>();
        services.AddSingleton<OwnedRoomWriter>();
        services.AddSingleton<IRoomOwnership>(sp => Owned(sp) ? sp.GetRequiredService<PartitionLeases>() : new EveryRoom());
        services.AddSingleton<IRoomWriter>(sp => Owned(sp) ? sp.GetRequiredService<OwnedRoomWriter>() : sp.GetRequiredService<RoomWriter>());
        services.AddSingleton<IHostedService>(sp => new OptionalHostedService(Owned(sp) ? sp.GetRequiredService<PartitionLeases>() : null));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimeOptions>>((o, lime) =>
        {
            int port = InternalChannel.ListenPort(lime.Value.Cluster);
            if (port > 0)
            {
                o.ConfigureEndpointDefaults(listen =>
                {
                    if (listen.IPEndPoint?.Port == port)
                    {
                        listen.Protocols = HttpProtocols.Http2;
                    }
                });
            }
        });
    }

    private static bool Owned(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<LimeOptions>>().Value;
        return options.Cluster.OwnershipOn(options.Storage.Provider);
    }

    private static FanoutProvider ChosenFanout(IServiceProvider sp) => sp.GetRequiredService<IOptions<LimeOptions>>().Value.Fanout.Provider;

    /// <summary>
    /// Password hashing bounded in concurrency, per-account throttles, and the per-address policies of /api/auth
    /// (Auth/AuthThrottle.cs); a refusal by the middleware is the same 429 problem as one by the account throttle.
    /// </summary>
    private static void AddAuthThrottling(this IServiceCollection services)
    {
        services.AddSingleton<PasswordHashing>();
        services.AddSingleton<AuthThrottle>();
        services.AddRateLimiter(o => o.OnRejected = async (context, _) =>
        {
            var http = context.HttpContext;
            var refused = AuthThrottle.Refused(context.Lease, "Too many requests from this address; wait before trying again.");
            await ProblemResponses.WriteAsync(http.RequestServices.GetRequiredService<IProblemDetailsService>(), http,
                StatusCodes.Status429TooManyRequests, refused.Code, refused.Message, refused.RetryAfter);
        });
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>()
            .Configure<IOptions<LimeOptions>>((o, lime) => AuthThrottle.AddPolicies(o, lime.Value.Auth));
    }

    private static void AddLimeAuthentication(this IServiceCollection services)
    {
        services.AddAuthorization();
        // Before AddAuthentication (which only adds the default provider if none is registered): lets a WebSocket drop
        // its upgrade request's authentication state (Realtime/ReleasableAuthenticationHandlerProvider.cs).
        services.AddScoped<IAuthenticationHandlerProvider, ReleasableAuthenticationHandlerProvider>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TokenService>((o, tokens) =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = tokens.Issuer,
                ValidAudience = tokens.Issuer,
                IssuerSigningKey = tokens.SigningKey,
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = LimeClaims.Subject,
            };
            o.Events = new JwtBearerEvents
            {
                // Browsers cannot set headers on a WebSocket upgrade: accept ?access_token= on /ws only.
                OnMessageReceived = context =>
                {
                    if (context.Request.Path == SocketEndpoint.Path && context.Request.Query.TryGetValue("access_token", out var token) && token.Count == 1)
                    {
                        context.Token = token;
                    }

                    return Task.CompletedTask;
                },
                // Fails closed: a signed token whose sub or sid is missing or not a number, or whose device is not
                // a live session of that user, is refused like a bad signature (401, no exception, no error log).
                OnTokenValidated = async context =>
                {
                    if (LimeClaims.TryRead(context.Principal!) is not var (userId, deviceId))
                    {
                        context.Fail("The token's sub or sid claim is missing or malformed.");
                        return;
                    }

                    var sessions = context.HttpContext.RequestServices.GetRequiredService<DeviceSessions>();
                    if (!await sessions.IsLiveAsync(deviceId, userId, context.HttpContext.RequestAborted))
                    {
                        context.Fail("The device session was logged out or is not the token's user's.");
                    }
                },
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                    await ProblemResponses.WriteAsync(problems, context.HttpContext, StatusCodes.Status401Unauthorized,
                        ErrorCodes.Unauthenticated, "A valid access token is required.");
                },
            };
        });
    }
}
