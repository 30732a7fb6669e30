using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Attachments;
using Lime.Server.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Lime.Server.Api;

/// <summary>
/// /api/uploads and /api/attachments: photos and files (docs/protocol.md §13). An upload is one streamed request (not
/// resumable or chunked: a failed upload is sent again whole); the body is the file's bytes, whatever its
/// Content-Type says.
/// </summary>
public static class AttachmentsApi
{
    public static IEndpointRouteBuilder MapAttachmentsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/uploads", UploadAsync).WithTags("Attachments").RequireAuthorization().ProducesLimeProblems(400, 401, 413, 422, 429);
        app.MapGet("/api/attachments/{id:long}", LinkAsync).WithTags("Attachments").RequireAuthorization().ProducesLimeProblems(401, 404);
        // Signed URLs: no bearer token (browsers fetch them as <img src>); the signature names the user.
        app.MapGet("/api/attachments/{id:long}/{variant:regex(^(content|thumbnail)$)}", DownloadAsync).WithTags("Attachments").AllowAnonymous()
            .ProducesLimeProblems(400, 403, 404);
        return app;
    }

    private static async Task<Ok<AttachmentLinkDto>> LinkAsync(long id, ClaimsPrincipal user, Downloads downloads, CancellationToken ct) =>
        TypedResults.Ok(await downloads.LinkAsync(user.UserId(), id, ct));

    /// <summary>
    /// The bytes, with range requests. Never rendered as a page: nosniff, a sandboxing Content-Security-Policy, and
    /// <c>Content-Disposition: attachment</c> for everything but the image types browsers only ever draw.
    /// </summary>
    private static async Task<FileStreamHttpResult> DownloadAsync(long id, string variant, long u, long exp, string? sig, HttpContext context, Downloads downloads,
        IOptions<LimeOptions> options, CancellationToken ct)
    {
        var (a, bytes) = await downloads.OpenAsync(id, variant, u, exp, sig, ct);
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        headers.CacheControl = $"private, max-age={options.Value.Attachments.UrlSeconds}";
        bool thumbnail = variant == AttachmentUrls.Thumbnail;
        string type = thumbnail ? Thumbnails.ContentType : a.ContentType;
        var etag = new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{(thumbnail ? a.ThumbSha256 : a.Sha256)}\"");
        var modified = DateTimeOffset.FromUnixTimeMilliseconds(a.CreatedAt);
        if (ContentSniffer.IsImage(type))
        {
            var inline = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("inline");
            inline.SetHttpFileName(a.Name);
            headers.ContentDisposition = inline.ToString();
            return TypedResults.File(bytes, type, lastModified: modified, entityTag: etag, enableRangeProcessing: true);
        }

        return TypedResults.File(bytes, type, fileDownloadName: a.Name, lastModified: modified, entityTag: etag, enableRangeProcessing: true);
    }

    private static async Task<Created<AttachmentDto>> UploadAsync(HttpContext context, ClaimsPrincipal user, Uploads uploads, IOptions<LimeOptions> options,
        string? name, CancellationToken ct)
    {
        long userId = user.UserId();
        // Refused from the headers alone when the declared length is over the limit; otherwise counted while it streams
        // (Kestrel's own limit, just above ours, is the backstop for a body that says nothing of its length).
        await uploads.CheckBeforeBodyAsync(userId, context.Request.ContentLength, ct);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.Value.Attachments.MaxFileBytes + 1;
        }

        var attachment = await uploads.UploadAsync(userId, name, context.Request.Body, ct);
        return TypedResults.Created($"/api/attachments/{attachment.Id}", attachment);
    }
}
