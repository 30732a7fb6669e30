namespace Lime.Server.Attachments;

/// <summary>
/// The embedded blob store: one file per blob under <see cref="AttachmentPaths.Blobs"/>, fanned out by the key's first
/// two bytes (<c>ab/cd/abcd…</c>). A blob is written in the staging directory (same file system), fsync'd, renamed
/// into place and its directory fsync'd, so a blob is either absent or whole after a crash, never partial.
/// </summary>
public sealed class FileBlobStore(AttachmentPaths paths) : IBlobStore
{
    public Task StoreAsync(string key, string stagedFile, CancellationToken ct)
    {
        string path = PathOf(key);
        string dir = Path.GetDirectoryName(path)!;
        bool created = !Directory.Exists(dir);
        Directory.CreateDirectory(dir);
        // Same key, same bytes: replacing an existing blob changes nothing a reader can see.
        File.Move(stagedFile, path, overwrite: true);
        DurableFiles.FsyncDirectory(dir);
        if (created)
        {
            // The fan-out directories themselves are new entries in their parents.
            DurableFiles.FsyncDirectory(Path.GetDirectoryName(dir)!);
            DurableFiles.FsyncDirectory(paths.Blobs);
        }

        return Task.CompletedTask;
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken ct)
    {
        try
        {
            return Task.FromResult<Stream?>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024,
                FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
        catch (DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    public Task<bool> ExistsAsync(string key, CancellationToken ct) => Task.FromResult(File.Exists(PathOf(key)));

    private string PathOf(string key)
    {
        if (key.Length != 64 || !key.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("A blob key is a lower-case hex SHA-256.", nameof(key));
        }

        return Path.Combine(paths.Blobs, key[..2], key[2..4], key);
    }
}
