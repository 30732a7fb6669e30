using System.Security.Cryptography;
using System.Text.Json;

namespace Lime.Server.Push;

/// <summary>
/// OAuth2 access tokens for a Google service account (RFC 7523 JWT bearer grant): a JWT with iss = the account's
/// email, scope, aud = the token endpoint, iat/exp (one hour), signed RS256 with the account's private key, is
/// exchanged at the token endpoint. The token is cached until a minute before it expires (one exchange at a time)
/// and dropped when the service refuses it.
/// </summary>
public sealed class GoogleAccessTokens : IDisposable
{
    public const string FirebaseMessagingScope = "https://www.googleapis.com/auth/firebase.messaging";

    private readonly HttpClient _http;
    private readonly RSA _key;
    private readonly string _keyId;
    private readonly string _clientEmail;
    private readonly Uri _tokenEndpoint;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Token, DateTimeOffset Expires)? _cached;

    public GoogleAccessTokens(HttpClient http, string serviceAccountJson, string? tokenEndpoint, TimeProvider time)
    {
        using var doc = JsonDocument.Parse(serviceAccountJson);
        var root = doc.RootElement;
        _clientEmail = Required(root, "client_email");
        _keyId = root.TryGetProperty("private_key_id", out var kid) ? kid.GetString() ?? "" : "";
        ProjectId = root.TryGetProperty("project_id", out var project) ? project.GetString() ?? "" : "";
        _tokenEndpoint = new Uri(string.IsNullOrEmpty(tokenEndpoint)
            ? root.TryGetProperty("token_uri", out var uri) ? uri.GetString()! : "https://oauth2.googleapis.com/token"
            : tokenEndpoint);
        _key = RSA.Create();
        _key.ImportFromPem(Required(root, "private_key"));
        _http = http;
        _time = time;
    }

    /// <summary>The service account's project_id.</summary>
    public string ProjectId { get; }

    /// <summary>A valid access token: the cached one, or a new one from the token endpoint. Throws <see cref="HttpRequestException"/> if the exchange fails.</summary>
    public async Task<string> GetAsync(CancellationToken ct)
    {
        if (_cached is { } c && c.Expires > _time.GetUtcNow())
        {
            return c.Token;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_cached is { } again && again.Expires > _time.GetUtcNow())
            {
                return again.Token;
            }

            var now = _time.GetUtcNow();
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer",
                ["assertion"] = Assertion(now),
            });
            using var response = await _http.PostAsync(_tokenEndpoint, form, ct);
            string body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"token endpoint answered {(int)response.StatusCode}: {(body.Length > 200 ? body[..200] : body)}");
            }

            using var doc = JsonDocument.Parse(body);
            string token = doc.RootElement.GetProperty("access_token").GetString()!;
            int expiresIn = doc.RootElement.TryGetProperty("expires_in", out var e) ? e.GetInt32() : 3600;
            _cached = (token, now.AddSeconds(Math.Max(expiresIn - 60, 1)));
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached token (the service said it is no longer valid).</summary>
    public void Invalidate(string token)
    {
        if (_cached is { } c && c.Token == token)
        {
            _cached = null;
        }
    }

    public void Dispose()
    {
        _key.Dispose();
        _gate.Dispose();
    }

    private string Assertion(DateTimeOffset now) => Jwt.Create(
        h =>
        {
            h.WriteString("alg", "RS256");
            h.WriteString("typ", "JWT");
            if (_keyId.Length > 0)
            {
                h.WriteString("kid", _keyId);
            }
        },
        c =>
        {
            c.WriteString("iss", _clientEmail);
            c.WriteString("scope", FirebaseMessagingScope);
            c.WriteString("aud", _tokenEndpoint.ToString());
            c.WriteNumber("iat", now.ToUnixTimeSeconds());
            c.WriteNumber("exp", now.AddHours(1).ToUnixTimeSeconds());
        },
        data => _key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    private static string Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.GetString() is { Length: > 0 } s
            ? s
            : throw new InvalidOperationException($"The FCM service account JSON has no '{name}'.");
}
