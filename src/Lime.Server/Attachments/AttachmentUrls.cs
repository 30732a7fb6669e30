using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lime.Server.Auth;
using Microsoft.Extensions.Options;

namespace Lime.Server.Attachments;

/// <summary>
/// Short-lived download URLs that need no bearer token (so <c>&lt;img src&gt;</c> works and no access token lands in a
/// URL): <c>/api/attachments/{id}/{variant}?u={user}&amp;exp={unix s}&amp;sig={HMAC}</c>. The HMAC-SHA256 covers the
/// attachment, the variant, the user it was issued to and the expiry, under a key derived (HKDF) from the access-token
/// signing key. A URL is a capability of that user only: each fetch checks again that the user may read the
/// attachment (a member banned after the URL was issued is refused).
/// </summary>
public sealed class AttachmentUrls
{
    public const string File = "content";
    public const string Thumbnail = "thumbnail";

    private readonly byte[] _key;
    private readonly TimeProvider _clock;
    private readonly int _seconds;

    public AttachmentUrls(TokenService tokens, TimeProvider clock, IOptions<LimeOptions> options)
    {
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, tokens.SigningKey.Key, 32, info: "lime attachment urls v1"u8.ToArray());
        _clock = clock;
        _seconds = options.Value.Attachments.UrlSeconds;
    }

    /// <summary>A URL (path and query) valid for <see cref="AttachmentOptions.UrlSeconds"/>, and when it expires (Unix ms).</summary>
    public (string Url, long ExpiresAt) Sign(long attachmentId, string variant, long userId)
    {
        long expires = _clock.GetUtcNow().ToUnixTimeSeconds() + _seconds;
        return (SignUntil(attachmentId, variant, userId, expires), expires * 1000);
    }

    /// <summary>A URL that expires at <paramref name="expiresUnixSeconds"/> (tests make expired ones with it).</summary>
    public string SignUntil(long attachmentId, string variant, long userId, long expiresUnixSeconds) => string.Create(CultureInfo.InvariantCulture,
        $"/api/attachments/{attachmentId}/{variant}?u={userId}&exp={expiresUnixSeconds}&sig={Signature(attachmentId, variant, userId, expiresUnixSeconds)}");

    /// <summary>Whether the signature matches and the URL has not expired (nor claims an expiry further out than this server issues).</summary>
    public bool IsValid(long attachmentId, string variant, long userId, long expiresUnixSeconds, string? signature)
    {
        long now = _clock.GetUtcNow().ToUnixTimeSeconds();
        if (signature is null || expiresUnixSeconds < now || expiresUnixSeconds > now + _seconds + 60)
        {
            return false;
        }

        byte[] expected = Encoding.ASCII.GetBytes(Signature(attachmentId, variant, userId, expiresUnixSeconds));
        byte[] given = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private string Signature(long attachmentId, string variant, long userId, long expires)
    {
        byte[] message = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{attachmentId}|{variant}|{userId}|{expires}"));
        return Base64Url(HMACSHA256.HashData(_key, message));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
