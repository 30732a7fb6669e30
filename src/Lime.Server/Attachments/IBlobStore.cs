namespace Lime.Server.Attachments;

/// <summary>
/// Where attachment bytes live, by key (a SHA-256 in hex: content-addressed, so storing a key twice stores the same
/// bytes). Guarantee: when <see cref="StoreAsync"/> returns, the blob survives a crash of this process or machine
/// (embedded: renamed into place and the directory fsync'd; an object store: the PUT was acknowledged).
/// </summary>
public interface IBlobStore
{
    /// <summary>Makes the staged file (complete and fsync'd, in <see cref="AttachmentPaths.Staging"/>) the blob under <paramref name="key"/>; the staged file is consumed.</summary>
    Task StoreAsync(string key, string stagedFile, CancellationToken ct);

    /// <summary>The blob, seekable (for range requests), or null when there is none.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>Removes the blob; nothing happens when there is none.</summary>
    Task DeleteAsync(string key, CancellationToken ct);

    Task<bool> ExistsAsync(string key, CancellationToken ct);
}
