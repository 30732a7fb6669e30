namespace Lime.Protocol;

/// <summary>
/// A photo or file as messages carry it (docs/protocol.md §13). <c>type</c> is sniffed from the bytes by the server;
/// <c>width</c>/<c>height</c> (pixels), <c>thumbnail</c> and <c>placeholder</c> (a BlurHash) are set for images.
/// </summary>
public sealed record AttachmentDto(string Id, string Name, long Size, string Type, int? Width = null, int? Height = null, bool? Thumbnail = null,
    string? Placeholder = null);

/// <summary>
/// GET api/attachments/{id}: the attachment with short-lived signed URLs that need no bearer token (for <c>&lt;img src&gt;</c>);
/// <c>expires_at</c> is when they stop working (Unix ms).
/// </summary>
public sealed record AttachmentLinkDto(AttachmentDto Attachment, string Url, string? ThumbnailUrl, long ExpiresAt);
