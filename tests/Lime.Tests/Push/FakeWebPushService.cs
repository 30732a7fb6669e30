using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Lime.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Lime.Tests.Push;

/// <summary>
/// A browser push service (HTTP/1.1). POST /push/{id} needs <c>Authorization: vapid t=JWT, k=key</c> where the JWT
/// verifies ES256 with k, aud is this service's origin, exp is in the future and at most 24 h away, sub is a
/// mailto:/https: URI; Content-Encoding aes128gcm and a TTL header. The body must decrypt with the subscription's
/// private key and auth secret (as the browser would) to the JSON payload. Answers 201 Created.
/// </summary>
public sealed class FakeWebPushService : FakePushService
{
    private readonly ConcurrentDictionary<string, WebPushReceiver> _subscriptions = new();

    /// <summary>The VAPID public key the server used (k), base64url, once a push arrived.</summary>
    public string? SeenVapidKey { get; private set; }

    protected override HttpProtocols Protocols => HttpProtocols.Http1;

    /// <summary>A new browser subscription to this service (endpoint + keys), as PushSubscription.toJSON() gives it.</summary>
    public WebPushSubscriptionDto NewSubscription()
    {
        string id = Guid.NewGuid().ToString("N");
        var receiver = new WebPushReceiver();
        _subscriptions[id] = receiver;
        return new WebPushSubscriptionDto(new Uri(BaseAddress, "push/" + id).ToString(),
            new WebPushKeysDto(Base64Url.EncodeToString(receiver.PublicKey), Base64Url.EncodeToString(receiver.Auth)));
    }

    protected override void Map(WebApplication app) => app.MapPost("/push/{id}", async (string id, HttpContext context) =>
    {
        string token = new Uri(BaseAddress, "push/" + id).ToString();
        if (!_subscriptions.TryGetValue(id, out var receiver))
        {
            return Refuse(404, "no such subscription");
        }

        string auth = context.Request.Headers.Authorization.ToString();
        var parts = auth.StartsWith("vapid ", StringComparison.Ordinal)
            ? auth["vapid ".Length..].Split(',', StringSplitOptions.TrimEntries).Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1])
            : [];
        if (!parts.TryGetValue("t", out var jwt) || !parts.TryGetValue("k", out var k))
        {
            return Refuse(401, "no vapid authorization");
        }

        using var vapid = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(k)[1..33], Y = Base64Url.DecodeFromChars(k)[33..65] },
        });
        if (JwtCheck.VerifyEs256(jwt, vapid) is not var (header, claims))
        {
            return Refuse(403, "vapid signature");
        }

        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string origin = BaseAddress.GetLeftPart(UriPartial.Authority);
        long exp = claims.GetProperty("exp").GetInt64();
        string sub = claims.GetProperty("sub").GetString() ?? "";
        if (header.GetProperty("alg").GetString() != "ES256" || claims.GetProperty("aud").GetString() != origin
            || exp <= now || exp > now + 86_400 || !(sub.StartsWith("mailto:", StringComparison.Ordinal) || sub.StartsWith("https:", StringComparison.Ordinal)))
        {
            return Refuse(403, "vapid claims " + claims);
        }

        if (context.Request.Headers.ContentEncoding != "aes128gcm" || !int.TryParse(context.Request.Headers["TTL"], out _))
        {
            return Refuse(400, "content-encoding or TTL");
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        byte[] plaintext;
        try
        {
            plaintext = receiver.Decrypt(buffer.ToArray());
        }
        catch (CryptographicException e)
        {
            return Refuse(400, "payload does not decrypt: " + e.Message);
        }

        SeenVapidKey = k;
        if (await OverrideAsync(context, token) is { } answer)
        {
            return answer;
        }

        using var doc = JsonDocument.Parse(plaintext);
        var root = doc.RootElement;
        Deliveries.Enqueue(new Delivery("webpush", token, root.GetProperty("key").GetString()!, root.GetProperty("title").GetString()!,
            root.GetProperty("body").GetString()!, root.GetProperty("count").GetInt64(), root.GetProperty("badge").GetInt64(),
            root.GetProperty("room").GetInt64(), context.Request.Protocol, DateTimeOffset.UtcNow));
        return Results.Created();
    });
}
