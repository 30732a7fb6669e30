using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Lime.Tests.Push;

/// <summary>
/// APNs (HTTP/2 only, cleartext with prior knowledge — a request over HTTP/1.1 cannot even connect). POST
/// /3/device/{token} needs <c>authorization: bearer</c> an ES256 JWT whose signature checks with the .p8 key's public
/// half, kid = the key id, iss = the team id, iat within the last hour; apns-topic = the app's bundle id,
/// apns-push-type, apns-collapse-id (≤ 64 bytes) and a UUID apns-id. Answers like APNs: 200 with apns-id, or a JSON reason.
/// </summary>
public sealed class FakeApns : FakePushService
{
    public const string KeyId = "ABC123DEFG";
    public const string TeamId = "TEAM123456";
    public const string Topic = "app.lime.test";
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The .p8 file's content (PKCS#8 PEM), as Apple hands it out.</summary>
    public string P8 => _key.ExportPkcs8PrivateKeyPem();

    protected override HttpProtocols Protocols => HttpProtocols.Http2;

    protected override void Map(WebApplication app) => app.MapPost("/3/device/{token}", async (string token, HttpContext context) =>
    {
        var headers = context.Request.Headers;
        if (context.Request.Protocol != "HTTP/2")
        {
            return Refuse(400, "not HTTP/2: " + context.Request.Protocol);
        }

        string auth = headers.Authorization.ToString();
        if (!auth.StartsWith("bearer ", StringComparison.Ordinal) || JwtCheck.VerifyEs256(auth["bearer ".Length..], _key) is not var (header, claims))
        {
            return Refuse(403, "provider token signature", """{"reason":"InvalidProviderToken"}""");
        }

        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (header.GetProperty("alg").GetString() != "ES256" || header.GetProperty("kid").GetString() != KeyId
            || claims.GetProperty("iss").GetString() != TeamId || now - claims.GetProperty("iat").GetInt64() > 3600)
        {
            return Refuse(403, "provider token claims", """{"reason":"InvalidProviderToken"}""");
        }

        if (headers["apns-topic"] != Topic)
        {
            return Refuse(400, "apns-topic", """{"reason":"TopicDisallowed"}""");
        }

        if (headers["apns-push-type"] != "alert" || headers["apns-collapse-id"].ToString() is not { Length: > 0 and <= 64 }
            || !Guid.TryParse(headers["apns-id"], out _))
        {
            return Refuse(400, "apns headers", """{"reason":"BadCollapseId"}""");
        }

        using var doc = await JsonDocument.ParseAsync(context.Request.Body);
        if (await OverrideAsync(context, token) is { } answer)
        {
            return answer;
        }

        var root = doc.RootElement;
        var aps = root.GetProperty("aps");
        var alert = aps.GetProperty("alert");
        Deliveries.Enqueue(new Delivery("apns", token, root.GetProperty("key").GetString()!, alert.GetProperty("title").GetString()!,
            alert.GetProperty("body").GetString()!, root.GetProperty("count").GetInt64(), aps.GetProperty("badge").GetInt64(),
            root.GetProperty("room").GetInt64(), context.Request.Protocol, DateTimeOffset.UtcNow));
        context.Response.Headers["apns-id"] = headers["apns-id"];
        return Results.Ok();
    });
}
