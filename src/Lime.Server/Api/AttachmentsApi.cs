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
        return app;
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
