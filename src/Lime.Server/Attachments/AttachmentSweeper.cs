using Microsoft.Extensions.Options;

namespace Lime.Server.Attachments;

/// <summary>
/// Housekeeping of attachments on this node. At start: staged files left by a process that died mid-upload (none of
/// them was acknowledged) are deleted. Then every <see cref="AttachmentOptions.SweepIntervalSeconds"/>: uploads no message
/// referenced within <see cref="AttachmentOptions.OrphanHours"/>, and attachments of messages deleted for everyone (or of
/// deleted rooms), lose their rows and then — when no other row shares it — their blobs, at most
/// <see cref="AttachmentOptions.SweepBatch"/> per pass and kind. A row goes before its blob, so a crash in between leaves
/// an unreferenced blob (harmless), never a row naming a missing one.
/// </summary>
public sealed partial class AttachmentSweeper(AttachmentPaths paths, IAttachmentStore store, IBlobStore blobs, BlobLocks locks, TimeProvider clock,
    IOptions<LimeOptions> options, ILogger<AttachmentSweeper> log) : BackgroundService
{
    private readonly AttachmentOptions _options = options.Value.Attachments;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        paths.ClearStaging();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.SweepIntervalSeconds), clock);
        try
        {
            do
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    SweepFailed(log, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass: at most one batch of orphans and one of deleted attachments. Returns how many rows went.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        long cutoff = clock.GetUtcNow().AddHours(-_options.OrphanHours).ToUnixTimeMilliseconds();
        var orphans = await store.DeleteRowsAsync(await store.OrphansAsync(cutoff, _options.SweepBatch, ct), orphans: true, ct);
        var deleted = await store.DeleteRowsAsync(await store.DeletedAsync(_options.SweepBatch, ct), orphans: false, ct);
        foreach (var key in orphans.Concat(deleted).SelectMany(a => a.ThumbSha256 is null ? [a.Sha256] : new[] { a.Sha256, a.ThumbSha256 }).Distinct())
        {
            using (await locks.AcquireAsync(key, ct))
            {
                if (!await store.BlobInUseAsync(key, ct))
                {
                    await blobs.DeleteAsync(key, ct);
                }
            }
        }

        return orphans.Count + deleted.Count;
    }

    [LoggerMessage(3600, LogLevel.Warning, "Attachment sweep failed; the next pass tries again")]
    private static partial void SweepFailed(ILogger logger, Exception error);
}
