namespace Lime.Server.Attachments;

/// <summary>
/// Upload rows. Guarantee: a row is inserted only after its blobs are durable (<see cref="IBlobStore.StoreAsync"/>), so
/// no row ever names a missing blob; rows are referenced by messages only in the room writer's commit (RoomWriter.Attachments.cs).
/// </summary>
public interface IAttachmentStore
{
    Task InsertAsync(AttachmentRecord attachment, CancellationToken ct);

    /// <summary>Bytes the user uploaded since <paramref name="since"/> (Unix ms), for the daily quota.</summary>
    Task<long> BytesSinceAsync(long ownerId, long since, CancellationToken ct);

    /// <summary>
    /// The attachment if <paramref name="userId"/> may read it now: the owner's own upload not yet on a message, or one
    /// on a message in a live room the user is a member of and not banned from. Deleted ones are nobody's.
    /// </summary>
    Task<AttachmentRecord?> GetReadableAsync(long id, long userId, CancellationToken ct);

    /// <summary>Uploads never referenced and created before <paramref name="before"/>, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<SweptAttachment>> OrphansAsync(long before, int limit, CancellationToken ct);

    /// <summary>Attachments whose message was deleted for everyone, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<SweptAttachment>> DeletedAsync(int limit, CancellationToken ct);

    /// <summary>Deletes the rows (orphans only if still unreferenced, so a send that referenced one meanwhile keeps it); returns those deleted.</summary>
    Task<IReadOnlyList<SweptAttachment>> DeleteRowsAsync(IReadOnlyList<SweptAttachment> rows, bool orphans, CancellationToken ct);

    /// <summary>Whether any row still uses the blob (as its file or its thumbnail).</summary>
    Task<bool> BlobInUseAsync(string sha256, CancellationToken ct);
}
