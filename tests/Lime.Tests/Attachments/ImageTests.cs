using System.Buffers.Binary;
using System.Net;
using System.Text;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Attachments;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace Lime.Tests.Attachments;

/// <summary>Images: pixel size and thumbnail computed on the server, location metadata stripped, decompression bombs refused.</summary>
public sealed class ImageTests : IAsyncLifetime
{
    private static readonly byte[] Secret = Encoding.ASCII.GetBytes("GPS-52.3676N-4.9041E-SECRET");

    private readonly LimeServer _server = new(new Dictionary<string, string?> { ["Lime:Attachments:MaxImagePixels"] = "20000000" });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(1, 400, 200)]
    [InlineData(6, 200, 400)] // EXIF "rotate 90": shown (and stored) upright
    public async Task A_jpeg_gets_its_size_a_thumbnail_and_a_placeholder_and_loses_its_exif_location(int orientation, int width, int height)
    {
        var alice = await _server.NewUserAsync("alice");
        var bob = await _server.NewUserAsync("bob");
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();
        byte[] jpeg = WithExif(Jpeg(400, 200), orientation);
        Assert.True(jpeg.AsSpan().IndexOf(Secret) > 0);

        var photo = await alice.Http.UploadAsync(new MemoryStream(jpeg), "holiday.jpg").Within();
        Assert.Equal(("image/jpeg", width, height, true), (photo.Type, photo.Width, photo.Height, photo.Thumbnail));
        Assert.Matches("^#[0-9a-f]{6}$", photo.Placeholder!);
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("p", null, Attachments: [photo.Id])).Within();

        var link = await bob.Http.GetAttachmentAsync(photo.Id).Within();
        using var http = _server.CreateClient();
        using var original = await http.GetAsync(link.Url.TrimStart('/')).Within();
        byte[] stored = await original.Content.ReadAsByteArrayAsync();
        Assert.Equal("inline", original.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("image/jpeg", original.Content.Headers.ContentType?.MediaType);
        Assert.True(stored.AsSpan().IndexOf(Secret) < 0, "the EXIF block with the location is gone");
        Assert.Equal(stored.Length, photo.Size);
        using (var codec = SKCodec.Create(new MemoryStream(stored)))
        {
            Assert.Equal((SKEncodedOrigin.TopLeft, width, height), (codec.EncodedOrigin, codec.Info.Width, codec.Info.Height));
        }

        using var thumb = await http.GetAsync(link.ThumbnailUrl!.TrimStart('/')).Within();
        Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
        using var thumbCodec = SKCodec.Create(new MemoryStream(await thumb.Content.ReadAsByteArrayAsync()));
        Assert.Equal(320, Math.Max(thumbCodec.Info.Width, thumbCodec.Info.Height));
        Assert.Equal(width > height, thumbCodec.Info.Width > thumbCodec.Info.Height);
    }

    [Fact]
    public async Task A_decompression_bomb_is_refused_from_its_header_and_nothing_is_stored()
    {
        var alice = await _server.NewUserAsync("alice");
        var error = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.UploadAsync(new MemoryStream(PngHeader(100_000, 100_000)), "bomb.png")).Within();
        Assert.Equal(((int)HttpStatusCode.UnprocessableEntity, ErrorCodes.ImageRejected), (error.Status, error.Code));

        var broken = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.UploadAsync(new MemoryStream([.. TestFiles.TinyPng[..16], .. new byte[64]]), "broken.png")).Within();
        Assert.Equal(ErrorCodes.ImageRejected, broken.Code);

        Assert.Equal(0, await _server.Services.GetRequiredService<IAttachmentStore>().BytesSinceAsync(alice.Id, 0, default));
        var paths = _server.Services.GetRequiredService<AttachmentPaths>();
        Assert.Empty(Directory.EnumerateFiles(paths.Blobs, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(paths.Staging));

        // The server goes on.
        var fine = await alice.Http.UploadAsync(new MemoryStream(TestFiles.TinyPng), "dot.png").Within();
        Assert.Equal((1, 1), (fine.Width, fine.Height));
    }

    private static byte[] Jpeg(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(200, 40, 40));
            using var paint = new SKPaint { Color = new SKColor(40, 40, 200) };
            canvas.DrawRect(0, 0, width / 2f, height, paint);
        }

        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray();
    }

    /// <summary>Inserts an APP1 EXIF segment (orientation tag, then the "location" bytes) after SOI.</summary>
    private static byte[] WithExif(byte[] jpeg, int orientation)
    {
        var tiff = new List<byte>();
        tiff.AddRange("Exif\0\0"u8.ToArray());
        tiff.AddRange([(byte)'M', (byte)'M', 0, 0x2A, 0, 0, 0, 8]); // big-endian TIFF, IFD at 8
        tiff.AddRange([0, 1]); // one entry
        tiff.AddRange([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0]); // Orientation, SHORT, 1
        tiff.AddRange([0, 0, 0, 0]); // no next IFD
        tiff.AddRange(Secret);
        var segment = new byte[4 + tiff.Count];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(2 + tiff.Count));
        tiff.CopyTo(segment, 4);
        return [.. jpeg[..2], .. segment, .. jpeg[2..]];
    }

    /// <summary>A PNG whose header claims width x height: tiny on the wire, gigabytes if decoded.</summary>
    private static byte[] PngHeader(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. head[4..], .. data]));
        s.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
