namespace Lime.Server.Attachments;

/// <summary>
/// Housekeeping of attachments on this node. At start: staged files left by a process that died mid-upload (none of
/// them was acknowledged) are deleted.
/// </summary>
public sealed class AttachmentSweeper(AttachmentPaths paths) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        paths.ClearStaging();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
