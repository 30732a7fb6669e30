using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lime.Server.Auth;

/// <summary>
/// Issues short-lived HMAC-SHA256 access tokens (JWT) and opaque refresh tokens. The signing key comes from
/// configuration, or is generated once into the data directory so tokens survive a restart.
/// </summary>
public sealed class TokenService
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly AuthOptions _options;

    public TokenService(IOptions<LimeOptions> options)
    {
        _options = options.Value.Auth;
        SigningKey = new SymmetricSecurityKey(LoadOrCreateKey(options.Value));
    }

    public SymmetricSecurityKey SigningKey { get; }

    public string Issuer => _options.Issuer;

    public int AccessTokenSeconds => _options.AccessTokenSeconds;

    public string CreateAccessToken(long userId, long deviceId) => _handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = _options.Issuer,
        Audience = _options.Issuer,
        Subject = new ClaimsIdentity(
        [
            new Claim(LimeClaims.Subject, userId.ToString(CultureInfo.InvariantCulture)),
            new Claim(LimeClaims.Session, deviceId.ToString(CultureInfo.InvariantCulture)),
        ]),
        Expires = DateTime.UtcNow.AddSeconds(_options.AccessTokenSeconds),
        SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
    });

    /// <summary>A new refresh token (shown to the client once) and the hash that is stored.</summary>
    public static (string Token, string Hash) CreateRefreshToken()
    {
        string token = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (token, HashRefreshToken(token));
    }

    public static string HashRefreshToken(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    private static byte[] LoadOrCreateKey(LimeOptions options)
    {
        if (!string.IsNullOrEmpty(options.Auth.SigningKey))
        {
            byte[] configured = Convert.FromBase64String(options.Auth.SigningKey);
            return configured.Length >= 32 ? configured : throw new InvalidOperationException("Lime:Auth:SigningKey must be at least 32 bytes (base64).");
        }

        string dir = Path.GetFullPath(options.Storage.DataDirectory);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "signing.key");
        if (File.Exists(path))
        {
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }

        byte[] key = RandomNumberGenerator.GetBytes(32);
        File.WriteAllText(path, Convert.ToBase64String(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return key;
    }
}
