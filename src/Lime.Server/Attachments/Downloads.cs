using Lime.Protocol;
using Lime.Server.Chat;

namespace Lime.Server.Attachments;

/// <summary>
/// Who may fetch an attachment and how: the owner of an upload not yet on a message, or a member (not banned) of the
/// live room whose message holds it; a deleted one is nobody's. Refusals say <c>not_found</c> whether the attachment
/// does not exist or the caller may not see it, so ids reveal nothing.
/// </summary>
public sealed class Downloads(IAttachmentStore store, IBlobStore blobs, AttachmentUrls urls)
{
    public async Task<AttachmentLinkDto> LinkAsync(long userId, long attachmentId, CancellationToken ct)
    {
        var a = await store.GetReadableAsync(attachmentId, userId, ct) ?? throw NotFound();
        var (url, expires) = urls.Sign(a.Id, AttachmentUrls.File, userId);
        string? thumbnail = a.ThumbSha256 is null ? null : urls.Sign(a.Id, AttachmentUrls.Thumbnail, userId).Url;
        return new AttachmentLinkDto(a.ToDto(), url, thumbnail, expires);
    }

    /// <summary>The attachment and the bytes of the variant a signed URL names, after checking the signature and, again, the user's right.</summary>
    public async Task<(AttachmentRecord Attachment, Stream Bytes)> OpenAsync(long attachmentId, string variant, long userId, long expires, string? signature,
        CancellationToken ct)
    {
        if (!urls.IsValid(attachmentId, variant, userId, expires, signature))
        {
            throw new LimeException(ErrorCodes.SignatureInvalid, "The link has expired or its signature does not match; ask for a new one (GET /api/attachments/{id}).");
        }

        var a = await store.GetReadableAsync(attachmentId, userId, ct) ?? throw NotFound();
        string? key = variant == AttachmentUrls.Thumbnail ? a.ThumbSha256 : a.Sha256;
        var bytes = key is null ? null : await blobs.OpenReadAsync(key, ct);
        return (a, bytes ?? throw NotFound());
    }

    private static LimeException NotFound() => LimeException.NotFound("No such attachment, or you may not see it.");
}
