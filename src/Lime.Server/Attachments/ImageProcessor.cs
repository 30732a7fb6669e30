using System.Buffers.Binary;
using Lime.Protocol;
using Lime.Server.Chat;
using SkiaSharp;

namespace Lime.Server.Attachments;

/// <summary>What an image upload yields: its pixel size as displayed (EXIF orientation applied), a JPEG thumbnail and a placeholder colour.</summary>
public sealed record ImageFacts(int Width, int Height, byte[] Thumbnail, string Placeholder, bool Rewritten);

/// <summary>
/// Images with SkiaSharp (MIT; Google's Skia, the decoders Chrome and Android ship, fuzzed continuously): the header is
/// read first and an image of more than <see cref="AttachmentOptions.MaxImagePixels"/> is refused before a pixel is decoded
/// (a decompression bomb is small on the wire and huge decoded). Metadata that can carry a location is removed from the
/// stored file: JPEG APP1 (EXIF, XMP) and APP13 (IPTC) segments, PNG eXIf/tEXt/zTXt/iTXt/tIME chunks, WebP EXIF/XMP chunks,
/// copied byte for byte otherwise; a JPEG whose EXIF orientation is not upright is re-encoded upright instead (quality 90),
/// since dropping the tag would turn it. GIFs are kept as they are (no EXIF). The thumbnail comes from a scaled decode
/// (JPEG decodes at 1/2..1/8 directly).
/// </summary>
public static class ImageProcessor
{
    public static ImageFacts Process(string path, string contentType, string rewrittenPath, long maxPixels, int thumbnailPixels)
    {
        using var codec = SKCodec.Create(path) ?? throw Rejected("The image cannot be decoded.");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > maxPixels)
        {
            throw Rejected($"The image is {info.Width}x{info.Height} pixels; at most {maxPixels} pixels are accepted.");
        }

        var origin = codec.EncodedOrigin;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int width = swap ? info.Height : info.Width;
        int height = swap ? info.Width : info.Height;

        bool rewritten;
        if (contentType == "image/jpeg" && origin != SKEncodedOrigin.TopLeft)
        {
            using var full = Decode(codec, 1f);
            using var upright = Draw(full, origin, width, height, white: false);
            using var data = upright.Encode(SKEncodedImageFormat.Jpeg, 90);
            WriteDurably(rewrittenPath, data.AsSpan());
            rewritten = true;
        }
        else
        {
            rewritten = StripMetadata(path, contentType, rewrittenPath);
        }

        float scale = Math.Min(1f, 2f * thumbnailPixels / Math.Max(info.Width, info.Height));
        using var small = Decode(codec, scale);
        float fit = Math.Min(1f, (float)thumbnailPixels / Math.Max(width, height));
        int tw = Math.Max(1, (int)Math.Round(width * fit));
        int th = Math.Max(1, (int)Math.Round(height * fit));
        using var thumb = Draw(small, origin, tw, th, white: true);
        using var jpeg = thumb.Encode(SKEncodedImageFormat.Jpeg, 80);
        return new ImageFacts(width, height, jpeg.ToArray(), AverageColour(thumb), rewritten);
    }

    private static SKBitmap Decode(SKCodec codec, float scale)
    {
        var size = codec.GetScaledDimensions(scale);
        var target = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(target);
        var result = codec.GetPixels(target, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            throw Rejected($"The image cannot be decoded ({result}).");
        }

        return bitmap;
    }

    /// <summary>The bitmap turned upright (EXIF origin) and scaled to width x height.</summary>
    private static SKImage Draw(SKBitmap source, SKEncodedOrigin origin, int width, int height, bool white)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw Rejected("The image is too large to process.");
        var canvas = surface.Canvas;
        canvas.Clear(white ? SKColors.White : SKColors.Transparent);
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        float w = width, h = height;
        switch (origin)
        {
            case SKEncodedOrigin.TopRight: canvas.Translate(w, 0); canvas.Scale(-1, 1); break;
            case SKEncodedOrigin.BottomRight: canvas.Translate(w, h); canvas.RotateDegrees(180); break;
            case SKEncodedOrigin.BottomLeft: canvas.Translate(0, h); canvas.Scale(1, -1); break;
            case SKEncodedOrigin.LeftTop: canvas.RotateDegrees(90); canvas.Scale(1, -1); break;
            case SKEncodedOrigin.RightTop: canvas.Translate(w, 0); canvas.RotateDegrees(90); break;
            case SKEncodedOrigin.RightBottom: canvas.Translate(w, h); canvas.RotateDegrees(-90); canvas.Scale(1, -1); break;
            case SKEncodedOrigin.LeftBottom: canvas.Translate(0, h); canvas.RotateDegrees(-90); break;
        }

        using var image = SKImage.FromBitmap(source);
        var rect = swap ? new SKRect(0, 0, h, w) : new SKRect(0, 0, w, h);
        using var paint = new SKPaint();
        canvas.DrawImage(image, rect, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        canvas.Flush();
        return surface.Snapshot();
    }

    private static string AverageColour(SKImage thumb)
    {
        using var one = new SKBitmap(new SKImageInfo(1, 1, SKColorType.Rgba8888, SKAlphaType.Premul));
        thumb.ScalePixels(one.PeekPixels(), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        var c = one.GetPixel(0, 0);
        return $"#{c.Red:x2}{c.Green:x2}{c.Blue:x2}";
    }

    /// <summary>Copies the file without its location-bearing metadata to <paramref name="target"/>; false (nothing written) when there was none.</summary>
    private static bool StripMetadata(string path, string contentType, string target)
    {
        byte[] bytes = File.ReadAllBytes(path);
        byte[]? stripped = contentType switch
        {
            "image/jpeg" => StripJpeg(bytes),
            "image/png" => StripPng(bytes),
            "image/webp" => StripWebp(bytes),
            _ => null,
        };

        if (stripped is null)
        {
            return false;
        }

        WriteDurably(target, stripped);
        return true;
    }

    private static byte[]? StripJpeg(byte[] b)
    {
        using var output = new MemoryStream(b.Length);
        output.Write(b, 0, 2); // SOI
        int i = 2;
        bool dropped = false;
        while (i + 4 <= b.Length && b[i] == 0xFF)
        {
            byte marker = b[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker == 0xDA)
            {
                break; // start of scan: the rest is image data
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(i + 2));
            if (length < 2 || i + 2 + length > b.Length)
            {
                return null; // malformed: Skia decoded it, so keep it as it is
            }

            bool drop = marker is 0xE1 or 0xED;
            if (drop)
            {
                dropped = true;
            }
            else
            {
                output.Write(b, i, 2 + length);
            }

            i += 2 + length;
        }

        if (!dropped)
        {
            return null;
        }

        output.Write(b, i, b.Length - i);
        return output.ToArray();
    }

    private static byte[]? StripPng(byte[] b)
    {
        using var output = new MemoryStream(b.Length);
        output.Write(b, 0, 8);
        int i = 8;
        bool dropped = false;
        while (i + 12 <= b.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(i));
            if (length < 0 || i + 12L + length > b.Length)
            {
                return null;
            }

            string type = System.Text.Encoding.ASCII.GetString(b, i + 4, 4);
            if (type is "eXIf" or "tEXt" or "zTXt" or "iTXt" or "tIME")
            {
                dropped = true;
            }
            else
            {
                output.Write(b, i, 12 + length);
            }

            i += 12 + length;
        }

        return dropped ? output.ToArray() : null;
    }

    private static byte[]? StripWebp(byte[] b)
    {
        using var output = new MemoryStream(b.Length);
        output.Write(b, 0, 12); // RIFF, size (fixed below), WEBP
        int i = 12;
        bool dropped = false;
        while (i + 8 <= b.Length)
        {
            string fourcc = System.Text.Encoding.ASCII.GetString(b, i, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(i + 4));
            long padded = size + (size & 1);
            if (i + 8 + padded > b.Length)
            {
                return null;
            }

            if (fourcc is "EXIF" or "XMP ")
            {
                dropped = true;
            }
            else
            {
                long at = output.Position;
                output.Write(b, i, (int)(8 + padded));
                if (fourcc == "VP8X" && size >= 1)
                {
                    output.GetBuffer()[at + 8] &= 0b1111_0011; // clear the EXIF (0x08) and XMP (0x04) flags
                }
            }

            i += (int)(8 + padded);
        }

        if (!dropped)
        {
            return null;
        }

        byte[] result = output.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)(result.Length - 8));
        return result;
    }

    private static void WriteDurably(string path, ReadOnlySpan<byte> bytes)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }

    private static LimeException Rejected(string message) => new(ErrorCodes.ImageRejected, message);
}
