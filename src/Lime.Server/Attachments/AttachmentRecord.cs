using System.Globalization;
using Lime.Protocol;

namespace Lime.Server.Attachments;

/// <summary>One upload as stored (columns of <c>attachments</c>; numbers are long as the databases return them).</summary>
public sealed record AttachmentRecord(
    long Id,
    long OwnerId,
    string Sha256,
    long Size,
    string ContentType,
    string Name,
    long? Width,
    long? Height,
    string? ThumbSha256,
    string? Placeholder,
    long CreatedAt,
    long? RoomId = null,
    long? Seq = null,
    long? DeletedAt = null)
{
    public AttachmentDto ToDto() => new(Id.ToString(CultureInfo.InvariantCulture), Name, Size, ContentType, (int?)Width, (int?)Height,
        ThumbSha256 is null ? null : true, Placeholder);
}

/// <summary>A blob key and whether it is the attachment's thumbnail (a sweep removes both kinds).</summary>
public readonly record struct SweptAttachment(long Id, string Sha256, string? ThumbSha256);
