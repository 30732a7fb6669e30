using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Lime.Protocol;

namespace Lime.Server.Push;

/// <summary>
/// Web Push (RFC 8030) to a browser subscription: the payload JSON {title, body, room, seq, sender, count, badge,
/// key, tag} encrypted for the subscription (RFC 8291, aes128gcm), authorized with VAPID (RFC 8292):
/// <c>Authorization: vapid t=&lt;ES256 JWT {aud = the endpoint's origin, exp ≤ 24 h, sub}&gt;, k=&lt;public key&gt;</c>.
/// Headers TTL, Urgency: high and Topic (per room: the push service keeps only the newest undelivered one).
/// 404/410 = the subscription is gone (removed); 429/5xx = retry; other = rejected.
/// </summary>
public sealed class WebPushProvider : IPushProvider, IDisposable
{
    private readonly HttpClient _http = PushHttp.CreateClient();
    private readonly VapidKeys _keys;
    private readonly WebPushOptions _options;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (string Jwt, DateTimeOffset Expires)> _jwts = new(StringComparer.Ordinal);

    public WebPushProvider(WebPushOptions options, VapidKeys keys, TimeSpan timeout, TimeProvider time)
    {
        _options = options;
        _keys = keys;
        _timeout = timeout;
        _time = time;
    }

    public string Kind => PushKinds.WebPush;

    public async Task<PushResult> SendAsync(PushTarget target, PushNotification notification, CancellationToken ct)
    {
        var n = notification;
        byte[] body;
        try
        {
            body = WebPushEncryption.Encrypt(Payload(n), Base64Url.DecodeFromChars(target.P256dh), Base64Url.DecodeFromChars(target.Auth));
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return PushResult.Invalid("the subscription's keys are unusable: " + e.Message);
        }

        var endpoint = new Uri(target.Token);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentEncoding.Add("aes128gcm");
        request.Headers.Add("TTL", _options.TtlSeconds.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Urgency", "high");
        request.Headers.Add("Topic", Topic(n.CollapseId));
        request.Headers.TryAddWithoutValidation("Authorization", $"vapid t={VapidJwt(endpoint)}, k={_keys.PublicKeyBase64Url}");
        return await PushHttp.SendAsync(_http, request, _timeout, async response =>
        {
            if (response.IsSuccessStatusCode)
            {
                return PushResult.Delivered;
            }

            int status = (int)response.StatusCode;
            return status is 404 or 410
                ? PushResult.Invalid($"push service answered {status}")
                : PushResult.FromHttp(response, await PushHttp.BodyAsync(response));
        }, ct);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The VAPID JWT for an endpoint's origin, valid 12 h and reused until an hour before that.</summary>
    private string VapidJwt(Uri endpoint)
    {
        string audience = endpoint.GetLeftPart(UriPartial.Authority);
        var now = _time.GetUtcNow();
        if (_jwts.TryGetValue(audience, out var cached) && cached.Expires - now > TimeSpan.FromHours(1))
        {
            return cached.Jwt;
        }

        var expires = now.AddHours(12);
        string jwt = Jwt.Create(
            h =>
            {
                h.WriteString("typ", "JWT");
                h.WriteString("alg", "ES256");
            },
            c =>
            {
                c.WriteString("aud", audience);
                c.WriteNumber("exp", expires.ToUnixTimeSeconds());
                c.WriteString("sub", _options.Subject);
            },
            data => _keys.Key.SignData(data, HashAlgorithmName.SHA256));
        _jwts[audience] = (jwt, expires);
        return jwt;
    }

    private static byte[] Payload(PushNotification n) => Jwt.Json(w =>
    {
        w.WriteString("title", n.Title);
        w.WriteString("body", n.Body);
        w.WriteNumber("room", n.Room);
        w.WriteNumber("seq", n.Seq);
        if (n.Sender is not null)
        {
            w.WriteString("sender", n.Sender);
        }

        w.WriteNumber("count", n.Count);
        w.WriteNumber("badge", n.Badge);
        w.WriteString("key", n.Key);
        w.WriteString("tag", n.CollapseId); // for showNotification({tag}): the browser replaces, not stacks
    });

    /// <summary>RFC 8030 Topic: at most 32 characters of the base64url alphabet.</summary>
    private static string Topic(string collapseId)
    {
        var chars = collapseId.Where(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_').Take(32).ToArray();
        return chars.Length > 0 ? new string(chars) : "lime";
    }
}
