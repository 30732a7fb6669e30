using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Lime.Server.Push;

/// <summary>Compact JWS (RFC 7515) for the three services that want one: header.payload signed by a callback.</summary>
public static class Jwt
{
    /// <summary>Builds <c>base64url(header).base64url(claims).base64url(sign(signing input))</c>.</summary>
    public static string Create(Action<Utf8JsonWriter> header, Action<Utf8JsonWriter> claims, Func<byte[], byte[]> sign)
    {
        string signingInput = Base64Url.EncodeToString(Json(header)) + "." + Base64Url.EncodeToString(Json(claims));
        byte[] signature = sign(Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>A JSON object written by <paramref name="write"/> (which writes its properties).</summary>
    public static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
