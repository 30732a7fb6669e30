namespace Lime.Server.Push;

/// <summary>What a push service said.</summary>
public enum PushStatus
{
    /// <summary>Accepted by the service.</summary>
    Delivered,

    /// <summary>The token or subscription is gone or was never valid: remove the target, do not retry.</summary>
    TokenInvalid,

    /// <summary>Try again later (5xx, 429, network error, timeout, expired credentials).</summary>
    Retry,

    /// <summary>Refused in a way retrying cannot fix (bad request, payload too large, forbidden).</summary>
    Rejected,
}

public readonly record struct PushResult(PushStatus Status, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static readonly PushResult Delivered = new(PushStatus.Delivered);

    public static PushResult Invalid(string reason) => new(PushStatus.TokenInvalid, reason);

    public static PushResult Retry(string error, TimeSpan? retryAfter = null) => new(PushStatus.Retry, error, retryAfter);

    public static PushResult Rejected(string error) => new(PushStatus.Rejected, error);

    /// <summary>The usual reading of an HTTP status: 429 and 5xx are worth retrying (honouring Retry-After), other failures are not.</summary>
    public static PushResult FromHttp(HttpResponseMessage response, string detail)
    {
        int status = (int)response.StatusCode;
        string error = $"HTTP {status}{(string.IsNullOrEmpty(detail) ? "" : " " + detail)}";
        return status is 429 or >= 500 ? Retry(error, RetryAfterOf(response)) : Rejected(error);
    }

    public static TimeSpan? RetryAfterOf(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is { Ticks: > 0 } wait ? wait : TimeSpan.Zero,
        _ => null,
    };
}
