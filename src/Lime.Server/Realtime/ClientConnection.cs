using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Lime.Protocol;

namespace Lime.Server.Realtime;

/// <summary>
/// One live WebSocket. Frames to the client go through a bounded queue drained by a single writer loop, which
/// coalesces whatever is queued into one WebSocket message (frames separated by '\n', up to 64 KB). If the queue
/// is full the client is too slow: it is closed with <see cref="CloseCodes.SlowConsumer"/> and must resync, so
/// server memory per connection stays bounded.
/// </summary>
public sealed class ClientConnection
{
    private const int CoalesceBytes = 64 * 1024;
    private const byte Separator = (byte)'\n';

    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _out;
    private int _closeCode;
    private string _closeReason = "";
    private int _closing;
    private long _lastReceived = Environment.TickCount64;

    public ClientConnection(WebSocket socket, long userId, long deviceId, int queueFrames)
    {
        _socket = socket;
        UserId = userId;
        DeviceId = deviceId;
        _out = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueFrames)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // only TryWrite is used: a full queue is detected, never waited on
        });
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");
    public long UserId { get; }
    public long DeviceId { get; }

    /// <summary>Rooms this connection is subscribed to; guarded by the registry's lock.</summary>
    internal HashSet<long> Rooms { get; } = [];

    /// <summary>Rooms left while the initial room list was being read; guarded by the registry's lock.</summary>
    internal HashSet<long> LeftBeforeSubscribed { get; } = [];

    /// <summary>Whether the initial subscription is done; guarded by the registry's lock.</summary>
    internal bool Subscribed { get; set; }

    public long LastReceivedTicks => Volatile.Read(ref _lastReceived);

    public int? CloseCode => _closing == 0 ? null : _closeCode;

    public void Touch() => Volatile.Write(ref _lastReceived, Environment.TickCount64);

    /// <summary>Queues a frame; if the queue is full, closes the connection as a slow consumer.</summary>
    public void Enqueue(byte[] frame)
    {
        if (!_out.Writer.TryWrite(frame) && _closing == 0)
        {
            Close(CloseCodes.SlowConsumer, "slow_consumer: resync from history", abortAfter: TimeSpan.FromSeconds(1), discardQueued: true);
        }
    }

    /// <summary>
    /// Ends the connection with a close code: queued frames are still sent (unless <paramref name="discardQueued"/>),
    /// then the close frame. The socket is aborted if that has not finished in <paramref name="abortAfter"/>.
    /// </summary>
    public void Close(int code, string reason, TimeSpan abortAfter, bool discardQueued = false)
    {
        if (Interlocked.CompareExchange(ref _closing, 1, 0) != 0)
        {
            return;
        }

        _closeCode = code;
        _closeReason = reason;
        if (discardQueued)
        {
            while (_out.Reader.TryRead(out _))
            {
            }
        }

        _out.Writer.TryComplete();
        _ = AbortLaterAsync(abortAfter);
    }

    private async Task AbortLaterAsync(TimeSpan delay)
    {
        await Task.Delay(delay);
        if (_socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            _socket.Abort();
        }
    }

    /// <summary>The single writer: runs until the queue completes, then sends the close frame if one was asked for.</summary>
    public async Task RunWriterAsync()
    {
        var reader = _out.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                if (!reader.TryRead(out var first))
                {
                    continue;
                }

                if (!reader.TryPeek(out var next) || first.Length + 1 + next.Length > CoalesceBytes)
                {
                    await _socket.SendAsync(first, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    continue;
                }

                byte[] buffer = ArrayPool<byte>.Shared.Rent(CoalesceBytes);
                try
                {
                    first.CopyTo(buffer, 0);
                    int length = first.Length;
                    while (reader.TryPeek(out next) && length + 1 + next.Length <= CoalesceBytes && reader.TryRead(out next))
                    {
                        buffer[length++] = Separator;
                        next.CopyTo(buffer, length);
                        length += next.Length;
                    }

                    await _socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            if (_closing != 0 && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync((WebSocketCloseStatus)_closeCode, _closeReason, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The peer went away; the receive loop notices and cleans up.
            _socket.Abort();
        }
    }
}
