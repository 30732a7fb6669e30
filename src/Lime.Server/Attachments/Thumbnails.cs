namespace Lime.Server.Attachments;

/// <summary>Thumbnails of images: JPEG, the longer side <see cref="AttachmentOptions.ThumbnailPixels"/>.</summary>
public static class Thumbnails
{
    public const string ContentType = "image/jpeg";
}
