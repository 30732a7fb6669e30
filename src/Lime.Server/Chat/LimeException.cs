using Lime.Protocol;

namespace Lime.Server.Chat;

/// <summary>
/// A request LIME refuses, with a stable <see cref="ErrorCodes">code</see>. Thrown before anything is written,
/// so a refused request changes nothing. REST turns it into ProblemDetails, the socket into an error frame.
/// </summary>
public sealed class LimeException(string code, string message, TimeSpan? retryAfter = null) : Exception(message)
{
    public string Code { get; } = code;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    public int HttpStatus => Code switch
    {
        ErrorCodes.Unauthenticated => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden or ErrorCodes.SignatureInvalid or ErrorCodes.WindowExpired or ErrorCodes.Banned or ErrorCodes.Muted or ErrorCodes.Blocked or ErrorCodes.AccountDisabled => StatusCodes.Status403Forbidden,
        ErrorCodes.MessageDeleted or ErrorCodes.InviteInvalid => StatusCodes.Status410Gone,
        ErrorCodes.LimitReached => StatusCodes.Status409Conflict,
        ErrorCodes.NotFound => StatusCodes.Status404NotFound,
        ErrorCodes.Conflict => StatusCodes.Status409Conflict,
        ErrorCodes.MessageTooLarge or ErrorCodes.FileTooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorCodes.ImageRejected => StatusCodes.Status422UnprocessableEntity,
        ErrorCodes.RateLimited or ErrorCodes.QuotaExceeded => StatusCodes.Status429TooManyRequests,
        ErrorCodes.Unavailable or ErrorCodes.Overloaded => StatusCodes.Status503ServiceUnavailable,
        ErrorCodes.Internal => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status400BadRequest,
    };

    public static LimeException Validation(string message) => new(ErrorCodes.Validation, message);
    public static LimeException NotFound(string message) => new(ErrorCodes.NotFound, message);
    public static LimeException Forbidden(string message) => new(ErrorCodes.Forbidden, message);
    public static LimeException Conflict(string message) => new(ErrorCodes.Conflict, message);
}
