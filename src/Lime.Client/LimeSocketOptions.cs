using System.Net.WebSockets;

namespace Lime.Client;

/// <summary>Options for <see cref="LimeSocket.ConnectAsync"/>.</summary>
public sealed class LimeSocketOptions
{
    /// <summary>
    /// Opens the WebSocket: given the URI, the request headers to send (e.g. <c>Authorization</c>, <c>Origin</c>)
    /// and the cancellation token, returns an open WebSocket. Null uses a <see cref="ClientWebSocket"/> with the
    /// headers set through <see cref="ClientWebSocketOptions.SetRequestHeader"/>. Tests pass an in-memory server's
    /// WebSocket client here.
    /// </summary>
    public Func<Uri, IReadOnlyDictionary<string, string>, CancellationToken, Task<WebSocket>>? Connector { get; init; }

    /// <summary>When set, sent as the <c>Origin</c> request header.</summary>
    public string? Origin { get; init; }

    /// <summary>Send the access token as the <c>access_token</c> query parameter instead of the <c>Authorization</c> header.</summary>
    public bool TokenInQuery { get; init; }

    /// <summary>
    /// Capacity of <see cref="LimeSocket.Events"/> (default 1,000,000). When an event arrives and the queue is full,
    /// the client closes the connection (close code 1008) and <see cref="LimeSocket.Completion"/> faults with code
    /// "event_queue_full": events are never dropped silently and the queue never grows without bound.
    /// </summary>
    public int EventQueueCapacity { get; init; } = 1_000_000;

    /// <summary>
    /// Interval of automatic <c>ping</c> frames. Null (default) uses the hello frame's <c>heartbeat_interval_ms</c>;
    /// <see cref="TimeSpan.Zero"/> disables automatic pings.
    /// </summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>
    /// Largest server WebSocket message (possibly several coalesced frames) the client accepts (default 64 MiB).
    /// A larger one closes the connection (close code 1009) and faults <see cref="LimeSocket.Completion"/> with code "message_too_large".
    /// </summary>
    public int MaxReceiveMessageBytes { get; init; } = 64 * 1024 * 1024;
}
