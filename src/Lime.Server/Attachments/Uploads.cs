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
        try
        {
            var (sha256, size, head) = await ReceiveAsync(body, staged, ct);
            await CheckQuotaAsync(userId, size, ct);
            string type = ContentSniffer.Sniff(head);
            var record = new AttachmentRecord(ids.Next(), userId, sha256, size, type, FileNames.Sanitise(name), null, null, null, null,
                clock.GetUtcNow().ToUnixTimeMilliseconds());
            using (await locks.AcquireAsync(sha256, CancellationToken.None))
            {
                // From here on not cancelled with the request: a blob without its row would only wait for the sweeper.
                await blobs.StoreAsync(sha256, staged, CancellationToken.None);
                await store.InsertAsync(record, CancellationToken.None);
            }

            return record.ToDto();
        }
        finally
        {
            File.Delete(staged);
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
