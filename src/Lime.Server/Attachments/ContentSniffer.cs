namespace Lime.Server.Attachments;

/// <summary>
/// The content type of an upload, from its first bytes (magic numbers) only: what the client says is never used, so a
/// page named <c>.png</c> is <c>application/octet-stream</c>. Only the types listed here are recognised; SVG, HTML and
/// every other text are octet-stream too (served as a download, never rendered).
/// </summary>
public static class ContentSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> looks at.</summary>
    public const int HeaderBytes = 16;

    public const string OctetStream = "application/octet-stream";

    /// <summary>The types served inline (rendered by browsers as images, never as script): everything else is a download.</summary>
    public static bool IsImage(string contentType) => contentType is "image/jpeg" or "image/png" or "image/gif" or "image/webp";

    public static string Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return "image/gif";
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8))
        {
            var form = head.Slice(8, 4);
            if (form.SequenceEqual("WEBP"u8))
            {
                return "image/webp";
            }

            if (form.SequenceEqual("WAVE"u8))
            {
                return "audio/wav";
            }
        }

        if (head.StartsWith("%PDF-"u8))
        {
            return "application/pdf";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[(byte)'P', (byte)'K', 3, 4]) || head.StartsWith((ReadOnlySpan<byte>)[(byte)'P', (byte)'K', 5, 6]))
        {
            return "application/zip";
        }

        if (head.Length >= 12 && head.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            var brand = head.Slice(8, 4);
            if (brand.SequenceEqual("qt  "u8))
            {
                return "video/quicktime";
            }

            if (brand.SequenceEqual("M4A "u8))
            {
                return "audio/mp4";
            }

            if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8))
            {
                return "image/heic"; // not rendered by most browsers: a download, like any type not in IsImage
            }

            return "video/mp4";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]))
        {
            return "video/webm";
        }

        if (head.StartsWith("OggS"u8))
        {
            return "audio/ogg";
        }

        if (head.StartsWith("ID3"u8) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFB]) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xF3]) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xF2]))
        {
            return "audio/mpeg";
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
        {
            return "application/gzip";
        }

        return OctetStream;
    }
}
