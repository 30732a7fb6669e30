using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lime.Protocol;

namespace Lime.Server.Push;

/// <summary>
/// Apple Push Notification service over HTTP/2 (only HTTP/2 is accepted: requests demand exactly 2.0), token-based:
/// <c>authorization: bearer</c> an ES256 JWT {alg, kid} {iss = team id, iat} signed with the .p8 key, reused for
/// <see cref="ApnsOptions.TokenRefreshMinutes"/> (Apple wants 20-60 minutes) and renewed early when APNs says it
/// expired. Headers: apns-topic, apns-push-type: alert, apns-priority: 10, apns-expiration, apns-collapse-id (per
/// room) and apns-id (a UUID derived from the idempotency key). The device's environment picks the endpoint.
/// 410 Unregistered and 400 BadDeviceToken/DeviceTokenNotForTopic = the token is gone (removed); 403 with an
/// expired/invalid provider token = renew and retry; 429/5xx = retry; other = rejected.
/// </summary>
public sealed class ApnsProvider : IPushProvider, IDisposable
{
    private readonly HttpClient _http = PushHttp.CreateClient();
    private readonly ECDsa _key;
    private readonly ApnsOptions _options;
    private readonly Uri _production;
    private readonly Uri _sandbox;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private (string Jwt, DateTimeOffset IssuedAt)? _token;

    public ApnsProvider(ApnsOptions options, TimeSpan timeout, TimeProvider time)
    {
        _options = options;
        _key = ECDsa.Create();
        _key.ImportFromPem(options.PrivateKey.Length > 0 ? options.PrivateKey : File.ReadAllText(options.PrivateKeyFile));
        _production = new Uri(WithSlash(options.ProductionEndpoint));
        _sandbox = new Uri(WithSlash(options.SandboxEndpoint));
        _timeout = timeout;
        _time = time;
    }

    public string Kind => PushKinds.Apns;

    public async Task<PushResult> SendAsync(PushTarget target, PushNotification notification, CancellationToken ct)
    {
        var n = notification;
        string jwt = ProviderToken();
        var endpoint = target.Environment == ApnsEnvironments.Sandbox ? _sandbox : _production;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "3/device/" + Uri.EscapeDataString(target.Token)))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(Body(n)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("bearer", jwt);
        request.Headers.Add("apns-topic", _options.Topic);
        request.Headers.Add("apns-push-type", "alert");
        request.Headers.Add("apns-priority", "10");
        request.Headers.Add("apns-expiration", _time.GetUtcNow().AddDays(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("apns-collapse-id", n.CollapseId);
        request.Headers.Add("apns-id", IdOf(n.Key));
        return await PushHttp.SendAsync(_http, request, _timeout, async response =>
        {
            if (response.IsSuccessStatusCode)
            {
                return PushResult.Delivered;
            }

            int status = (int)response.StatusCode;
            string reason = Reason(await PushHttp.BodyAsync(response));
            if (status == 410 || reason is "BadDeviceToken" or "DeviceTokenNotForTopic" or "Unregistered")
            {
                return PushResult.Invalid($"APNs {status} {reason}");
            }

            if (status == 403 && reason is "ExpiredProviderToken" or "InvalidProviderToken")
            {
                Renew(jwt);
                return PushResult.Retry($"APNs 403 {reason}");
            }

            return PushResult.FromHttp(response, reason);
        }, ct);
    }

    public void Dispose()
    {
        _key.Dispose();
        _http.Dispose();
    }

    /// <summary>The current provider token, signed anew once it is <see cref="ApnsOptions.TokenRefreshMinutes"/> old.</summary>
    private string ProviderToken()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_token is { } t && now - t.IssuedAt < TimeSpan.FromMinutes(_options.TokenRefreshMinutes))
            {
                return t.Jwt;
            }

            string jwt = Jwt.Create(
                h =>
                {
                    h.WriteString("alg", "ES256");
                    h.WriteString("kid", _options.KeyId);
                },
                c =>
                {
                    c.WriteString("iss", _options.TeamId);
                    c.WriteNumber("iat", now.ToUnixTimeSeconds());
                },
                data => _key.SignData(data, HashAlgorithmName.SHA256)); // IEEE P1363 (r||s), as JWS wants
            _token = (jwt, now);
            return jwt;
        }
    }

    private void Renew(string rejected)
    {
        lock (_lock)
        {
            if (_token is { } t && t.Jwt == rejected)
            {
                _token = null;
            }
        }
    }

    private static byte[] Body(PushNotification n) => Jwt.Json(w =>
    {
        w.WriteStartObject("aps");
        w.WriteStartObject("alert");
        w.WriteString("title", n.Title);
        w.WriteString("body", n.Body);
        w.WriteEndObject();
        w.WriteNumber("badge", n.Badge);
        w.WriteString("sound", "default");
        w.WriteString("thread-id", n.CollapseId);
        w.WriteEndObject();
        w.WriteNumber("room", n.Room);
        w.WriteNumber("seq", n.Seq);
        w.WriteNumber("count", n.Count);
        w.WriteString("key", n.Key);
    });

    /// <summary>A UUID made from the idempotency key, so a redelivery carries the same apns-id.</summary>
    public static string IdOf(string key)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        string hex = Convert.ToHexStringLower(hash.AsSpan(0, 16));
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..32]}";
    }

    private static string Reason(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("reason", out var r) ? r.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static string WithSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
