using System.Security.Cryptography;
using System.Text;
using Lime.Server.Auth;

namespace Lime.Server.Cluster;

/// <summary>
/// The node-to-node channel for forwarded writes: its listener (HTTP/2 cleartext with prior knowledge, on
/// <see cref="ClusterOptions.InternalUrl"/>'s port), its path and its authentication. Every request carries
/// <see cref="Header"/>: an HMAC-SHA256 of a fixed label under the cluster's shared <c>Lime:Auth:SigningKey</c>, so only
/// nodes holding that key can forward; anything else is 401 and nothing is read. The listener belongs on a private
/// network: the header is a bearer secret, not a signature of each request.
/// </summary>
public sealed class InternalChannel
{
    public const string Header = "X-Lime-Internal";
    public const string ForwardPath = "/internal/v1/forward";

    private static readonly byte[] Label = Encoding.ASCII.GetBytes("lime internal channel v1");
    private readonly byte[] _secret;

    public InternalChannel(TokenService tokens)
    {
        _secret = HMACSHA256.HashData(tokens.SigningKey.Key, Label);
        HeaderValue = Convert.ToBase64String(_secret);
    }

    /// <summary>The value this node sends (and expects) in <see cref="Header"/>.</summary>
    public string HeaderValue { get; }

    /// <summary>Constant-time check of a received header value.</summary>
    public bool IsAuthentic(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 128)
        {
            return false;
        }

        Span<byte> received = stackalloc byte[96];
        return Convert.TryFromBase64String(value, received, out int length)
            && CryptographicOperations.FixedTimeEquals(received[..length], _secret);
    }

    /// <summary>
    /// The address the internal listener binds (<c>Lime:Cluster:InternalListen</c>, else <c>InternalUrl</c>), or null
    /// when there is none or it is not a valid URL (refused at start with the other options, naming the key).
    /// </summary>
    public static Uri? ListenUrl(IConfiguration configuration)
    {
        string listen = configuration[$"{LimeOptions.Section}:Cluster:InternalListen"] is { Length: > 0 } bind
            ? bind
            : configuration[$"{LimeOptions.Section}:Cluster:InternalUrl"] ?? "";
        return Uri.TryCreate(listen, UriKind.Absolute, out var url) && url.Scheme == "http" && !url.IsDefaultPort ? url : null;
    }

    /// <summary>The internal listener's port (0: none), from the validated options.</summary>
    public static int ListenPort(ClusterOptions options)
    {
        string listen = options.InternalListen.Length > 0 ? options.InternalListen : options.InternalUrl;
        return listen.Length > 0 && Uri.TryCreate(listen, UriKind.Absolute, out var url) ? url.Port : 0;
    }
}
