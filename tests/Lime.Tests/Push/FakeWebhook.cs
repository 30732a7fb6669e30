using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Lime.Tests.Push;

/// <summary>
/// A webhook receiver (HTTP/1.1, POST /hook) that checks what a careful receiver checks: X-Lime-Signature equals
/// HMAC-SHA256(secret, timestamp + "." + body), the timestamp is within 5 minutes, Idempotency-Key equals the body's key.
/// </summary>
public sealed class FakeWebhook(string secret) : FakePushService
{
    public Uri Url => new(BaseAddress, "hook");

    protected override HttpProtocols Protocols => HttpProtocols.Http1;

    protected override void Map(WebApplication app) => app.MapPost("/hook", async (HttpContext context) =>
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        byte[] body = buffer.ToArray();
        string timestamp = context.Request.Headers["X-Lime-Timestamp"].ToString();
        string signature = context.Request.Headers["X-Lime-Signature"].ToString();
        byte[] signed = [.. Encoding.ASCII.GetBytes(timestamp + "."), .. body];
        byte[] expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        if (signature != "v1=" + Convert.ToHexStringLower(expected))
        {
            return Refuse(401, "bad signature");
        }

        if (!long.TryParse(timestamp, out long ts) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - ts) > 300)
        {
            return Refuse(401, "stale timestamp");
        }

        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        string key = root.GetProperty("key").GetString()!;
        if (context.Request.Headers["Idempotency-Key"] != key)
        {
            return Refuse(400, "Idempotency-Key differs from the body's key");
        }

        string token = root.GetProperty("token").GetString()!;
        if (await OverrideAsync(context, token) is { } answer)
        {
            return answer;
        }

        Deliveries.Enqueue(new Delivery("webhook", token, key, root.GetProperty("title").GetString()!, root.GetProperty("body").GetString()!,
            root.GetProperty("count").GetInt64(), root.GetProperty("badge").GetInt64(), root.GetProperty("room").GetInt64(), context.Request.Protocol, DateTimeOffset.UtcNow));
        return Results.Ok();
    });
}
