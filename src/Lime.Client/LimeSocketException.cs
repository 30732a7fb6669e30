namespace Lime.Client;

/// <summary>
/// A failure on a <see cref="LimeSocket"/>: an <c>error</c> frame answering a request (its <see cref="Code"/>,
/// message and <see cref="RetryAfterMs"/> are the frame's), or the connection ending
/// (<see cref="Code"/> is "closed"; <see cref="CloseCode"/> holds the WebSocket close code if one was received).
/// </summary>
public sealed class LimeSocketException : Exception
{
    /// <summary>Creates a socket exception.</summary>
    public LimeSocketException(string code, string message, int? retryAfterMs = null, int? closeCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        RetryAfterMs = retryAfterMs;
        CloseCode = closeCode;
    }

    /// <summary>Creates an exception with code "unknown" (standard exception constructor).</summary>
    public LimeSocketException() : this("unknown", "LIME socket error")
    {
    }

    /// <summary>Creates an exception with code "unknown" and the given message.</summary>
    public LimeSocketException(string message) : this("unknown", message)
    {
    }

    /// <summary>Creates an exception with code "unknown", the given message and inner exception.</summary>
    public LimeSocketException(string message, Exception innerException) : this("unknown", message, null, null, innerException)
    {
    }

    /// <summary>
    /// The error code: a server code from <see cref="Lime.Protocol.ErrorCodes"/> for an error frame, "closed" when the
    /// connection ended before a reply (or before hello), "bad_frame" when the server sent data the client could
    /// not parse, "message_too_large" when a server message exceeded
    /// <see cref="LimeSocketOptions.MaxReceiveMessageBytes"/>, "event_queue_full" when
    /// <see cref="LimeSocketOptions.EventQueueCapacity"/> was exceeded, "unexpected_reply" when a reply of the
    /// wrong type carried a request's id.
    /// </summary>
    public string Code { get; }

    /// <summary>The error frame's <c>retry_after_ms</c>, if any (set with code "rate_limited").</summary>
    public int? RetryAfterMs { get; }

    /// <summary>The WebSocket close code received from the server, when the failure is the connection ending after a close frame.</summary>
    public int? CloseCode { get; }
}
