using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Lime.Server.Api;

/// <summary>
/// Turns every refused request into ProblemDetails with a stable <c>code</c> (see <see cref="ErrorCodes"/>), and
/// <c>retry_after_ms</c> plus a Retry-After header when rate limited.
/// </summary>
public sealed class ProblemResponses(IProblemDetailsService problems, ILogger<ProblemResponses> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, detail, retryAfter) = exception switch
        {
            LimeException e => (e.HttpStatus, e.Code, e.Message, e.RetryAfter),
            BadHttpRequestException e => (e.StatusCode == StatusCodes.Status413PayloadTooLarge ? 413 : 400,
                e.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorCodes.MessageTooLarge : ErrorCodes.Validation, e.Message, null),
            _ => (StatusCodes.Status500InternalServerError, ErrorCodes.Internal, "Internal error.", (TimeSpan?)null),
        };

        if (status == StatusCodes.Status500InternalServerError)
        {
            Log.UnhandledRequestError(log, httpContext.Request.Method, httpContext.Request.Path, exception);
        }

        await WriteAsync(problems, httpContext, status, code, detail, retryAfter);
        return true;
    }

    /// <summary>Gives problems produced by the framework (404 route, 405, 413 body too large, 415) a stable code too.</summary>
    public static void AddCode(ProblemDetailsContext context)
    {
        var extensions = context.ProblemDetails.Extensions;
        if (!extensions.ContainsKey("code"))
        {
            extensions["code"] = context.ProblemDetails.Status switch
            {
                StatusCodes.Status401Unauthorized => ErrorCodes.Unauthenticated,
                StatusCodes.Status403Forbidden => ErrorCodes.Forbidden,
                StatusCodes.Status404NotFound => ErrorCodes.NotFound,
                StatusCodes.Status409Conflict => ErrorCodes.Conflict,
                StatusCodes.Status413PayloadTooLarge => ErrorCodes.MessageTooLarge,
                StatusCodes.Status429TooManyRequests => ErrorCodes.RateLimited,
                >= 500 => ErrorCodes.Internal,
                _ => ErrorCodes.Validation,
            };
        }
    }

    public static ValueTask WriteAsync(IProblemDetailsService problems, HttpContext context, int status, string code, string detail, TimeSpan? retryAfter = null)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Title = code, Detail = detail };
        problem.Extensions["code"] = code;
        if (retryAfter is { } after)
        {
            int ms = (int)Math.Ceiling(after.TotalMilliseconds);
            problem.Extensions["retry_after_ms"] = ms;
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}

public static class ProblemMetadata
{
    /// <summary>Declares the ProblemDetails statuses an endpoint may answer with, for the OpenAPI document.</summary>
    public static RouteHandlerBuilder ProducesLimeProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (int status in statuses)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }
}
