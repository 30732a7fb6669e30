using System.Net.Http.Headers;
using Lime.Protocol;

namespace Lime.Client;

public sealed partial class LimeHttpClient
{
    /// <summary>
    /// POST api/uploads?name=…: streams <paramref name="content"/> (read once, from its current position) as the body;
    /// <paramref name="progress"/> hears the bytes sent so far. The server sniffs the type and sanitises the name. A
    /// seekable stream's length is declared (Content-Length), so an oversized file is refused before it is sent.
    /// </summary>
    public Task<AttachmentDto> UploadAsync(Stream content, string fileName, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var body = new StreamContent(progress is null ? content : new ProgressStream(content, progress), 64 * 1024);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (content.CanSeek)
        {
            body.Headers.ContentLength = content.Length - content.Position;
        }

        return SendAsync(HttpMethod.Post, Query("api/uploads", ("name", fileName)), body, Json.AttachmentDto, ct);
    }

    /// <summary>GET api/attachments/{id}: the attachment with signed URLs valid for a few minutes (no bearer token needed on them).</summary>
    public Task<AttachmentLinkDto> GetAttachmentAsync(string attachmentId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/attachments/" + Uri.EscapeDataString(attachmentId), null, Json.AttachmentLinkDto, ct);

    /// <summary>
    /// Fetches a signed URL (from <see cref="GetAttachmentAsync"/>) into <paramref name="destination"/>, without the bearer
    /// token; <paramref name="progress"/> hears the bytes received so far. Refusals throw <see cref="LimeApiException"/>
    /// (<c>signature_invalid</c> once the link expired: get a new one).
    /// </summary>
    public async Task DownloadAsync(string signedUrl, Stream destination, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(signedUrl);
        ArgumentNullException.ThrowIfNull(destination);
        using var request = new HttpRequestMessage(HttpMethod.Get, Resolve(signedUrl.TrimStart('/')));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw await LimeApiException.FromResponseAsync(response, ct);
        }

        await using var body = await response.Content.ReadAsStreamAsync(ct);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, read), ct);
            total += read;
            progress?.Report(total);
        }
    }

    /// <summary>Reports the bytes read through it.</summary>
    private sealed class ProgressStream(Stream inner, IProgress<long> progress) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            if (read > 0)
            {
                _read += read;
                progress.Report(_read);
            }

            return read;
        }
    }
}
