using Microsoft.Extensions.Options;

namespace Lime.Server.Attachments;

/// <summary>The attachment directories on this node: uploads are staged here (whatever the blob store), and the embedded store keeps its blobs here.</summary>
public sealed class AttachmentPaths
{
    public AttachmentPaths(IOptions<LimeOptions> options)
    {
        var o = options.Value;
        Root = Path.GetFullPath(o.Attachments.Directory.Length > 0 ? o.Attachments.Directory : Path.Combine(o.Storage.DataDirectory, "attachments"));
        Staging = Path.Combine(Root, "staging");
        Blobs = Path.Combine(Root, "blobs");
        Directory.CreateDirectory(Staging);
        Directory.CreateDirectory(Blobs);
    }

    public string Root { get; }

    /// <summary>Uploads being received. Anything here at start-up is from a process that died mid-upload (never acknowledged) and is deleted.</summary>
    public string Staging { get; }

    public string Blobs { get; }

    /// <summary>A new, unique path in <see cref="Staging"/>.</summary>
    public string NewStagedFile() => Path.Combine(Staging, Guid.NewGuid().ToString("N") + ".part");

    /// <summary>Deletes what a killed process left in <see cref="Staging"/>; nothing there was acknowledged.</summary>
    public void ClearStaging()
    {
        foreach (string file in Directory.EnumerateFiles(Staging))
        {
            File.Delete(file);
        }
    }
}
