using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lime.Tests.Push;

/// <summary>The fakes' JWT verification: splits a compact JWS, checks its signature with the given key, returns header and claims.</summary>
public static class JwtCheck
{
    public static (JsonElement Header, JsonElement Claims)? VerifyEs256(string jwt, ECDsa publicKey) =>
        Verify(jwt, (input, signature) => signature.Length == 64 && publicKey.VerifyData(input, signature, HashAlgorithmName.SHA256));

    public static (JsonElement Header, JsonElement Claims)? VerifyRs256(string jwt, RSA publicKey) =>
        Verify(jwt, (input, signature) => publicKey.VerifyData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    private static (JsonElement, JsonElement)? Verify(string jwt, Func<byte[], byte[], bool> check)
    {
        string[] parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            byte[] input = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            if (!check(input, Base64Url.DecodeFromChars(parts[2])))
            {
                return null;
            }

            var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement.Clone();
            var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.Clone();
            return (header, claims);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
