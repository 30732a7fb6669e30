using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Lime.Tests.Push;

/// <summary>
/// Google's OAuth2 token endpoint and FCM HTTP v1 (HTTP/1.1). POST /token takes only the JWT bearer grant with an
/// assertion signed RS256 by the service account's key (checked with its public key), iss = the account email,
/// scope = firebase.messaging, aud = this token endpoint, a lifetime of at most an hour; it answers an access token.
/// POST /v1/projects/{project}/messages:send takes only a bearer token it issued, for the right project.
/// </summary>
public sealed class FakeFcm : FakePushService
{
    public const string ClientEmail = "lime-push@lime-test.iam.gserviceaccount.com";
    public const string Project = "lime-test";
    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, bool> _issued = new();
    private int _exchanges;

    /// <summary>How many token exchanges happened (the provider must cache its token).</summary>
    public int Exchanges => Volatile.Read(ref _exchanges);

    public Uri TokenEndpoint => new(BaseAddress, "token");

    /// <summary>Drops every issued token: the next send gets 401 until the provider exchanges again.</summary>
    public void RevokeTokens() => _issued.Clear();

    /// <summary>The service-account JSON a Google console would download (its private key is the fake's).</summary>
    public string ServiceAccountJson() => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "service_account",
        ["project_id"] = Project,
        ["private_key_id"] = "kid-1",
        ["private_key"] = _key.ExportPkcs8PrivateKeyPem(),
        ["client_email"] = ClientEmail,
        ["token_uri"] = TokenEndpoint.ToString(),
    });

    protected override HttpProtocols Protocols => HttpProtocols.Http1;

    protected override void Map(WebApplication app)
    {
        app.MapPost("/token", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer")
            {
                return Refuse(400, "grant_type", """{"error":"unsupported_grant_type"}""");
            }

            if (JwtCheck.VerifyRs256(form["assertion"].ToString(), _key) is not var (header, claims))
            {
                return Refuse(400, "assertion signature", """{"error":"invalid_grant"}""");
            }

            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            long iat = claims.GetProperty("iat").GetInt64(), exp = claims.GetProperty("exp").GetInt64();
            if (header.GetProperty("alg").GetString() != "RS256" || claims.GetProperty("iss").GetString() != ClientEmail
                || claims.GetProperty("scope").GetString() != "https://www.googleapis.com/auth/firebase.messaging"
                || claims.GetProperty("aud").GetString() != TokenEndpoint.ToString()
                || Math.Abs(iat - now) > 300 || exp <= now || exp - iat > 3600)
            {
                return Refuse(400, "assertion claims " + claims, """{"error":"invalid_grant"}""");
            }

            Interlocked.Increment(ref _exchanges);
            string token = "ya29.fake-" + Guid.NewGuid().ToString("N");
            _issued[token] = true;
            return Results.Json(new Dictionary<string, object> { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer" });
        });

        app.MapPost("/v1/projects/{project}/messages:send", async (string project, HttpContext context) =>
        {
            string auth = context.Request.Headers.Authorization.ToString();
            if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_issued.ContainsKey(auth["Bearer ".Length..]))
            {
                return Refuse(401, "bearer", """{"error":{"code":401,"status":"UNAUTHENTICATED"}}""");
            }

            if (project != Project)
            {
                return Refuse(403, "project", """{"error":{"code":403,"status":"PERMISSION_DENIED"}}""");
            }

            using var doc = await JsonDocument.ParseAsync(context.Request.Body);
            var message = doc.RootElement.GetProperty("message");
            string token = message.GetProperty("token").GetString()!;
            if (await OverrideAsync(context, token) is { } answer)
            {
                return answer;
            }

            var data = message.GetProperty("data");
            var notification = message.GetProperty("notification");
            if (message.GetProperty("android").GetProperty("collapse_key").GetString() is not { Length: > 0 })
            {
                return Refuse(400, "collapse_key");
            }

            Deliveries.Enqueue(new Delivery("fcm", token, data.GetProperty("key").GetString()!, notification.GetProperty("title").GetString()!,
                notification.GetProperty("body").GetString()!, long.Parse(data.GetProperty("count").GetString()!), long.Parse(data.GetProperty("badge").GetString()!),
                long.Parse(data.GetProperty("room").GetString()!), context.Request.Protocol, DateTimeOffset.UtcNow));
            return Results.Json(new Dictionary<string, string> { ["name"] = $"projects/{Project}/messages/{Guid.NewGuid():N}" });
        });
    }

    /// <summary>FCM's answer for a token that is no longer registered.</summary>
    public const string Unregistered =
        """{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}""";
}
