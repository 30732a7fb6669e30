using System.Buffers;
using System.Security.Cryptography;
using Lime.Protocol;
using Lime.Server.Chat;
using Microsoft.Extensions.Options;

namespace Lime.Server.Attachments;

/// <summary>
/// POST api/uploads: streams the body to a staged file (never holding it in memory), counting and hashing as it goes
/// and refusing it past <see cref="AttachmentOptions.MaxFileBytes"/>; sniffs the type from the bytes; fsyncs; hands the
/// file to the blob store under its SHA-256; only then inserts the row and answers. A failure at any point leaves no
/// row, and at worst an unreferenced blob or staged file (removed by the sweeper or at the next start).
/// </summary>
public sealed class Uploads(IBlobStore blobs, IAttachmentStore store, AttachmentPaths paths, BlobLocks locks, Snowflake ids, TimeProvider clock,
    IOptions<LimeOptions> options)
{
    private const int BufferBytes = 64 * 1024;
    private readonly AttachmentOptions _options = options.Value.Attachments;

    /// <summary>Refuses an upload that says it is too large, or that the user's quota cannot take, before any of its body is read.</summary>
    public async Task CheckBeforeBodyAsync(long userId, long? declaredLength, CancellationToken ct)
    {
        if (declaredLength > _options.MaxFileBytes)
        {
            throw TooLarge();
        }

        await CheckQuotaAsync(userId, declaredLength ?? 0, ct);
    }

    public async Task<AttachmentDto> UploadAsync(long userId, string? name, Stream body, CancellationToken ct)
    {
        string staged = paths.NewStagedFile();
        string rewritten = paths.NewStagedFile();
        string thumbnail = paths.NewStagedFile();
        try
        {
            var (sha256, size, head) = await ReceiveAsync(body, staged, ct);
            string type = ContentSniffer.Sniff(head);
            ImageFacts? image = null;
            string? thumbSha = null;
            if (ContentSniffer.IsImage(type))
            {
                // Size checked from the header before decoding; metadata stripped into a second staged file.
                image = await Task.Run(() => ImageProcessor.Process(staged, type, rewritten, _options.MaxImagePixels, _options.ThumbnailPixels), ct);
                if (image.Rewritten)
                {
                    File.Delete(staged);
                    staged = rewritten;
                    (sha256, size) = await HashFileAsync(staged, ct);
                }

                await File.WriteAllBytesAsync(thumbnail, image.Thumbnail, ct);
                await using (var t = new FileStream(thumbnail, FileMode.Open, FileAccess.ReadWrite))
                {
                    t.Flush(flushToDisk: true);
                }

                thumbSha = Convert.ToHexStringLower(SHA256.HashData(image.Thumbnail));
            }

            await CheckQuotaAsync(userId, size, ct);
            var record = new AttachmentRecord(ids.Next(), userId, sha256, size, type, FileNames.Sanitise(name), image?.Width, image?.Height, thumbSha,
                image?.Placeholder, clock.GetUtcNow().ToUnixTimeMilliseconds());
            using (await locks.AcquireAsync(sha256, thumbSha, CancellationToken.None))
            {
                // From here on not cancelled with the request: a blob without its row would only wait for the sweeper.
                await blobs.StoreAsync(sha256, staged, CancellationToken.None);
                if (thumbSha is not null)
                {
                    await blobs.StoreAsync(thumbSha, thumbnail, CancellationToken.None);
                }

                await store.InsertAsync(record, CancellationToken.None);
            }

            return record.ToDto();
        }
        finally
        {
            File.Delete(staged);
            File.Delete(rewritten);
            File.Delete(thumbnail);
        }
    }

    private async Task<(string Sha256, long Size, byte[] Head)> ReceiveAsync(Stream body, string staged, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        byte[] head = new byte[ContentSniffer.HeaderBytes];
        int headLength = 0;
        long size = 0;
        try
        {
            await using var file = new FileStream(staged, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, BufferBytes), ct)) > 0)
            {
                size += read;
                if (size > _options.MaxFileBytes)
                {
                    throw TooLarge();
                }

                if (headLength < head.Length)
                {
                    int take = Math.Min(read, head.Length - headLength);
                    buffer.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                    headLength += take;
                }

                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }

            if (size == 0)
            {
                throw LimeException.Validation("The upload is empty.");
            }

            file.Flush(flushToDisk: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size, head[..headLength]);
    }

    private static async Task<(string Sha256, long Size)> HashFileAsync(string path, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return (Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct)), file.Length);
    }

    private async Task CheckQuotaAsync(long userId, long adding, CancellationToken ct)
    {
        long since = clock.GetUtcNow().AddDays(-1).ToUnixTimeMilliseconds();
        long used = await store.BytesSinceAsync(userId, since, ct);
        if (used + adding > _options.DailyBytesPerUser)
        {
            throw new LimeException(ErrorCodes.QuotaExceeded,
                $"Uploads of the last 24 hours would exceed {_options.DailyBytesPerUser} bytes ({used} used).");
        }
    }

    private LimeException TooLarge() => new(ErrorCodes.FileTooLarge, $"A file is limited to {_options.MaxFileBytes} bytes.");
}
