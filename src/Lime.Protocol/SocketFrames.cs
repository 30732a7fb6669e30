namespace Lime.Protocol;

/// <summary>
/// Every frame a client may send. One flat shape: <c>type</c> selects the operation, <c>id</c> (optional, chosen
/// by the client) is echoed on the reply so requests and replies can be paired, the other fields belong to
/// particular types (see docs/protocol.md).
/// </summary>
public sealed record ClientFrame
{
    public string? Type { get; init; }
    public string? Id { get; init; }
    public long? Room { get; init; }
    public string? ClientMsgId { get; init; }
    public string? Text { get; init; }
    public long? ReplyTo { get; init; }
    public long? Before { get; init; }
    public long? After { get; init; }
    public long? Around { get; init; }
    public int? Limit { get; init; }
}

/// <summary>Client frame types.</summary>
public static class ClientFrameTypes
{
    public const string Ping = "ping";
    public const string Send = "send";
    public const string History = "history";
}

/// <summary>Server frame types.</summary>
public static class ServerFrameTypes
{
    public const string Hello = "hello";
    public const string Pong = "pong";
    public const string Ack = "ack";
    public const string Event = "event";
    public const string History = "history";
    public const string Error = "error";
}

/// <summary>First frame on every connection.</summary>
public sealed record HelloFrame(
    long UserId,
    long DeviceId,
    string ConnectionId,
    long ServerTime,
    int HeartbeatIntervalMs,
    int IdleTimeoutMs,
    int MaxTextBytes,
    int MaxFrameBytes)
{
    public string Type => ServerFrameTypes.Hello;
}

public sealed record PongFrame(string? Id, long Ts)
{
    public string Type => ServerFrameTypes.Pong;
}

public sealed record AckFrame(string? Id, AckDto Ack)
{
    public string Type => ServerFrameTypes.Ack;
}

public sealed record EventFrame(EventDto Event)
{
    public string Type => ServerFrameTypes.Event;
}

public sealed record HistoryFrame(string? Id, long Room, EventDto[] Events, bool HasMoreBefore, bool HasMoreAfter)
{
    public string Type => ServerFrameTypes.History;
}

public sealed record ErrorFrame(string? Id, string Code, string Message, int? RetryAfterMs = null)
{
    public string Type => ServerFrameTypes.Error;
}

/// <summary>Just enough of a server frame to route it on the client.</summary>
public sealed record ServerFrameHeader
{
    public string? Type { get; init; }
    public string? Id { get; init; }
}
