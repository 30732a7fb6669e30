using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Lime.Protocol;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>
/// A signed POST to <see cref="WebhookOptions.Url"/> per notification, for any gateway LIME does not speak natively.
/// Body: JSON <c>{key, token, room, seq, title, body, sender, count, badge, collapse_id}</c>. Headers:
/// <c>Idempotency-Key</c> (the notification key: a receiver that dedupes on it never shows a redelivery twice),
/// <c>X-Lime-Timestamp</c> (Unix seconds) and <c>X-Lime-Signature: v1=hex(HMAC-SHA256(secret, timestamp + "." + body))</c>.
/// 2xx = delivered; 404 or 410 = the token is gone (removed); 429 and 5xx = retry; other = rejected.
/// </summary>
public sealed class WebhookProvider : IPushProvider, IDisposable
{
    private readonly HttpClient _http = PushHttp.CreateClient();
    private readonly Uri _url;
    private readonly byte[] _secret;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public WebhookProvider(PushOptions options, TimeProvider time)
    {
        _url = new Uri(options.Webhook.Url, UriKind.Absolute);
        _secret = Encoding.UTF8.GetBytes(options.Webhook.Secret);
        _timeout = TimeSpan.FromSeconds(options.SendTimeoutSeconds);
        _time = time;
    }

    public string Kind => PushKinds.Webhook;

    public Task<PushResult> SendAsync(PushTarget target, PushNotification notification, CancellationToken ct)
    {
        var n = notification;
        byte[] body = Jwt.Json(w =>
        {
            w.WriteString("key", n.Key);
            w.WriteString("token", target.Token);
            w.WriteNumber("room", n.Room);
            w.WriteNumber("seq", n.Seq);
            w.WriteString("title", n.Title);
            w.WriteString("body", n.Body);
            if (n.Sender is not null)
            {
                w.WriteString("sender", n.Sender);
            }

            w.WriteNumber("count", n.Count);
            w.WriteNumber("badge", n.Badge);
            w.WriteString("collapse_id", n.CollapseId);
        });
        string timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Idempotency-Key", n.Key);
        request.Headers.Add("X-Lime-Timestamp", timestamp);
        request.Headers.Add("X-Lime-Signature", "v1=" + Signature(_secret, timestamp, body));
        return SendCoreAsync(request, ct);
    }

    /// <summary>hex(HMAC-SHA256(secret, timestamp + "." + body)), lower case.</summary>
    public static string Signature(byte[] secret, string timestamp, byte[] body)
    {
        byte[] signed = [.. Encoding.ASCII.GetBytes(timestamp + "."), .. body];
        return Convert.ToHexStringLower(HMACSHA256.HashData(secret, signed));
    }

    public void Dispose() => _http.Dispose();

    private async Task<PushResult> SendCoreAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            return await PushHttp.SendAsync(_http, request, _timeout, async response =>
            {
                int status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return PushResult.Delivered;
                }

                return status is 404 or 410
                    ? PushResult.Invalid($"webhook answered {status}")
                    : PushResult.FromHttp(response, await PushHttp.BodyAsync(response));
            }, ct);
        }
    }
}
