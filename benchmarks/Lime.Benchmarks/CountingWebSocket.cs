using System.Net.WebSockets;

namespace Lime.Benchmarks;

/// <summary>
/// A server-side WebSocket that accepts every send at once and counts the frames in it (a coalesced message holds
/// several frames of <see cref="FrameLength"/> bytes separated by '\n') into a counter shared by many sockets.
/// Nothing is ever received.
/// </summary>
public sealed class CountingWebSocket(int frameLength, FrameCounter counter) : WebSocket
{
    private WebSocketState _state = WebSocketState.Open;

    public int FrameLength { get; } = frameLength;

    public override WebSocketCloseStatus? CloseStatus => null;

    public override string? CloseStatusDescription => null;

    public override WebSocketState State => _state;

    public override string? SubProtocol => null;

    public override void Abort() => _state = WebSocketState.Aborted;

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        _state = WebSocketState.Closed;
        return Task.CompletedTask;
    }

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        _state = WebSocketState.CloseSent;
        return Task.CompletedTask;
    }

    public override void Dispose() => _state = WebSocketState.Closed;

    public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
        new TaskCompletionSource<WebSocketReceiveResult>().Task; // never: the benchmark only sends

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        Count(buffer.Count);
        return Task.CompletedTask;
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        Count(buffer.Length);
        return ValueTask.CompletedTask;
    }

    private void Count(int length) => counter.Add((length + 1) / (FrameLength + 1));
}

/// <summary>Frames and socket messages sent, over many sockets.</summary>
public sealed class FrameCounter
{
    private long _frames;
    private long _messages;

    public long Frames => Interlocked.Read(ref _frames);

    public long Messages => Interlocked.Read(ref _messages);

    public void Add(long frames)
    {
        Interlocked.Add(ref _frames, frames);
        Interlocked.Increment(ref _messages);
    }
}
