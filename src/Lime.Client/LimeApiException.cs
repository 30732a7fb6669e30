using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Lime.Protocol;

namespace Lime.Client;

/// <summary>
/// A non-success HTTP response from the LIME REST API, parsed from its <c>application/problem+json</c> body.
/// </summary>
public sealed class LimeApiException : Exception
{
    /// <summary>Creates an exception for an API error.</summary>
    public LimeApiException(int status, string code, string? detail = null, TimeSpan? retryAfter = null, string? title = null)
        : base(FormatMessage(status, code, detail ?? title))
    {
        Status = status;
        Code = code;
        Detail = detail;
        Title = title;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates an exception with status 0 and code "unknown" (standard exception constructor).</summary>
    public LimeApiException() : this(0, "unknown")
    {
    }

    /// <summary>Creates an exception with status 0, code "unknown" and the given message.</summary>
    public LimeApiException(string message) : base(message)
    {
        Code = "unknown";
    }

    /// <summary>Creates an exception with status 0, code "unknown", the given message and inner exception.</summary>
    public LimeApiException(string message, Exception innerException) : base(message, innerException)
    {
        Code = "unknown";
    }

    /// <summary>The HTTP status code of the response.</summary>
    public int Status { get; }

    /// <summary>
    /// The stable error code (see <see cref="ErrorCodes"/>), from the ProblemDetails <c>code</c> extension. Never null:
    /// when the body has no code it is derived from the status (401 "unauthenticated", 403 "forbidden",
    /// 404 "not_found", 409 "conflict", 429 "rate_limited", 400 "validation", 503 "unavailable", 500 "internal",
    /// otherwise "http_&lt;status&gt;").
    /// </summary>
    public string Code { get; }

    /// <summary>The ProblemDetails <c>detail</c>, if any.</summary>
    public string? Detail { get; }

    /// <summary>The ProblemDetails <c>title</c>, if any.</summary>
    public string? Title { get; }

    /// <summary>
    /// How long to wait before retrying: the <c>retry_after_ms</c> extension if present, otherwise the
    /// <c>Retry-After</c> header (seconds or date); null when neither is present.
    /// </summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Builds the exception from a non-success response; never throws for a malformed or empty body.</summary>
    internal static async Task<LimeApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string? code = null, title = null, detail = null;
        TimeSpan? retryAfter = null;

        var body = await response.Content.ReadAsByteArrayAsync(ct);
        if (body.Length > 0)
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    code = GetString(root, "code");
                    title = GetString(root, "title");
                    detail = GetString(root, "detail");
                    if (root.TryGetProperty("status", out var s) && s.TryGetInt32(out var st))
                    {
                        status = st;
                    }

                    if (root.TryGetProperty("retry_after_ms", out var r) && r.TryGetInt64(out var ms))
                    {
                        retryAfter = TimeSpan.FromMilliseconds(ms);
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON (e.g. a plain-text error from a proxy): keep the status-derived values.
            }
        }

        retryAfter ??= FromHeader(response.Headers.RetryAfter);
        return new LimeApiException(status, code ?? CodeForStatus(status), detail, retryAfter, title);
    }

    private static string? GetString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static TimeSpan? FromHeader(RetryConditionHeaderValue? header)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static string CodeForStatus(int status) => status switch
    {
        400 => ErrorCodes.Validation,
        401 => ErrorCodes.Unauthenticated,
        403 => ErrorCodes.Forbidden,
        404 => ErrorCodes.NotFound,
        409 => ErrorCodes.Conflict,
        429 => ErrorCodes.RateLimited,
        500 => ErrorCodes.Internal,
        503 => ErrorCodes.Unavailable,
        _ => string.Create(CultureInfo.InvariantCulture, $"http_{status}"),
    };

    private static string FormatMessage(int status, string code, string? text) =>
        string.Create(CultureInfo.InvariantCulture, $"LIME API error {status} ({code}){(text is null ? "" : ": " + text)}");
}
