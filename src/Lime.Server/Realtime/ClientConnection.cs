using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Tasks.Sources;
using Lime.Protocol;
using Lime.Server.Diagnostics;

namespace Lime.Server.Realtime;

/// <summary>
/// One live WebSocket. Frames to the client go through a bounded queue drained by a single writer loop, which
/// coalesces whatever is queued into one WebSocket message (frames separated by '\n', up to 64 KB). The queue is
/// bounded twice: in frames and in bytes (<c>Lime:Realtime:SendQueueBytes</c>, counting every frame from the moment
/// it is queued until the socket has taken it, plus the bytes reserved for replies being built). If a frame does not
/// fit, the client is too slow: it is closed with <see cref="CloseCodes.SlowConsumer"/> and must resync, so server
/// memory per connection stays bounded whatever the client asks for.
/// </summary>
/// <remarks>
/// The queue is a <see cref="Queue{T}"/> under a lock plus one reusable wake-up for the single writer loop (this
/// object is its <see cref="IValueTaskSource{TResult}"/>), not a bounded <c>Channel</c>: a channel preallocates four
/// async operations and three more objects, about 0.7 KB for every idle connection, where this needs ~0.1 KB.
/// Many threads enqueue, one loop dequeues, and nothing ever waits for room in the queue (full means slow consumer).
/// </remarks>
public sealed class ClientConnection : IValueTaskSource<bool>
{
    private const int CoalesceBytes = 64 * 1024;
    private const byte Separator = (byte)'\n';

    /// <summary>A queue that grew past this many slots during a burst gives the memory back once it is drained.</summary>
    private const int TrimAbove = 64;

    private readonly WebSocket _socket;
    private readonly int _limit;
    private readonly long _budget;
    private readonly LimeMetrics? _metrics;
    private readonly Queue<byte[]> _queue = new(); // also the lock for the fields below
    private ManualResetValueTaskSourceCore<bool> _wake = new() { RunContinuationsAsynchronously = true };
    private bool _writerWaiting;
    private bool _completed;
    private int _closeCode;
    private string _closeReason = "";
    private int _closing;
    private long _lastReceived = Environment.TickCount64;

    // Bytes queued, being sent, or reserved for replies being built; never above _budget except by one reply that
    // outgrew its reservation (see EnqueueReserved). Guarded by _queue.
    private long _bytes;

    // Completed (and replaced) whenever bytes are given back, for replies waiting for room; made on demand.
    private TaskCompletionSource? _bytesFreed;

    public ClientConnection(WebSocket socket, long userId, long deviceId, int queueFrames, long queueBytes = long.MaxValue, LimeMetrics? metrics = null)
    {
        _metrics = metrics;
        _socket = socket;
        UserId = userId;
        DeviceId = deviceId;
        _limit = queueFrames;
        _budget = queueBytes;
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");
    public long UserId { get; }
    public long DeviceId { get; }

    /// <summary>Rooms this connection is subscribed to; guarded by the registry's lock.</summary>
    internal HashSet<long> Rooms { get; } = [];

    /// <summary>Rooms left while the initial room list was being read (rare, so made on demand); guarded by the registry's lock.</summary>
    internal HashSet<long>? LeftBeforeSubscribed { get; set; }

    /// <summary>Whether the initial subscription is done; guarded by the registry's lock.</summary>
    internal bool Subscribed { get; set; }

    public long LastReceivedTicks => Volatile.Read(ref _lastReceived);

    public int? CloseCode => _closing == 0 ? null : _closeCode;

    public void Touch() => Volatile.Write(ref _lastReceived, Environment.TickCount64);

    /// <summary>Bytes queued, being sent or reserved right now (for tests and diagnostics).</summary>
    public long QueuedBytes
    {
        get
        {
            lock (_queue)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Queues a frame; if the queue is full (frames or bytes), closes the connection as a slow consumer.</summary>
    public void Enqueue(byte[] frame) => Enqueue(frame, reserved: -1);

    /// <summary>
    /// Queues a reply built within a reservation of <paramref name="reserved"/> bytes (<see cref="ReserveAsync"/>),
    /// which it takes over. A reply larger than its reservation is queued all the same (a sync reply lists every room
    /// whatever its size; its events are what is cut to fit).
    /// </summary>
    public void EnqueueReserved(byte[] frame, int reserved) => Enqueue(frame, reserved);

    /// <summary>
    /// Reserves room in the byte budget for a reply about to be built, waiting up to <paramref name="wait"/> for the
    /// client to read what is queued. False if the connection is closing, or if no room came in time: then the client
    /// is not reading and is closed as a slow consumer.
    /// </summary>
    public async ValueTask<bool> ReserveAsync(int bytes, TimeSpan wait, CancellationToken ct)
    {
        long deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (true)
        {
            Task freed;
            lock (_queue)
            {
                if (_completed)
                {
                    return false;
                }

                if (_bytes + bytes <= _budget)
                {
                    _bytes += bytes;
                    return true;
                }

                freed = (_bytesFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                SlowConsumer();
                return false;
            }

            try
            {
                await freed.WaitAsync(TimeSpan.FromMilliseconds(left), ct);
            }
            catch (TimeoutException)
            {
                // Checked once more above, then closed.
            }
        }
    }

    /// <summary>Gives back a reservation that will not be used (the request failed).</summary>
    public void Unreserve(int bytes) => Release(bytes);

    private void Enqueue(byte[] frame, int reserved)
    {
        bool wake = false;
        bool full = false;
        TaskCompletionSource? freed = null;
        lock (_queue)
        {
            if (_completed)
            {
                if (reserved > 0)
                {
                    _bytes -= reserved;
                }

                return;
            }

            long bytes = _bytes - Math.Max(reserved, 0) + frame.Length;
            if (_queue.Count >= _limit || (reserved < 0 && bytes > _budget))
            {
                full = true;
                if (reserved > 0)
                {
                    _bytes -= reserved;
                }
            }
            else
            {
                if (bytes < _bytes)
                {
                    freed = TakeBytesFreed();
                }

                _bytes = bytes;
                _queue.Enqueue(frame);
                wake = _writerWaiting;
                _writerWaiting = false;
            }
        }

        freed?.SetResult();

        if (wake)
        {
            _wake.SetResult(true);
        }
        else if (full && _closing == 0)
        {
            SlowConsumer();
        }
    }

    private void SlowConsumer()
    {
        if (_closing == 0)
        {
            _metrics?.SlowConsumerClosed();
        }

        Close(CloseCodes.SlowConsumer, "slow_consumer: resync from history", abortAfter: TimeSpan.FromSeconds(1), discardQueued: true);
    }

    /// <summary>Bytes the socket has taken (or that were dropped) leave the budget; waiting replies look again.</summary>
    private void Release(long bytes)
    {
        TaskCompletionSource? freed;
        lock (_queue)
        {
            _bytes -= bytes;
            freed = TakeBytesFreed();
        }

        freed?.SetResult();
    }

    private TaskCompletionSource? TakeBytesFreed()
    {
        var freed = _bytesFreed;
        _bytesFreed = null;
        return freed;
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
        bool wake;
        TaskCompletionSource? freed;
        lock (_queue)
        {
            if (discardQueued)
            {
                foreach (byte[] frame in _queue)
                {
                    _bytes -= frame.Length;
                }

                _queue.Clear();
            }

            _completed = true;
            wake = _writerWaiting;
            _writerWaiting = false;
            freed = TakeBytesFreed(); // waiting replies give up
        }

        if (wake)
        {
            _wake.SetResult(true);
        }

        freed?.SetResult();

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
        try
        {
            while (true)
            {
                byte[]? first = TryTake(int.MaxValue, out bool more);
                if (first is null)
                {
                    if (!await WaitForFramesAsync())
                    {
                        break;
                    }

                    continue;
                }

                byte[]? next = more ? TryTake(CoalesceBytes - 1 - first.Length, out more) : null;
                if (next is null)
                {
                    await _socket.SendAsync(first, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    _metrics?.FramesSent(1);
                    Release(first.Length);
                    continue;
                }

                byte[] buffer = ArrayPool<byte>.Shared.Rent(CoalesceBytes);
                int taken = first.Length;
                int frames = 1;
                try
                {
                    first.CopyTo(buffer, 0);
                    int length = first.Length;
                    while (next is not null)
                    {
                        buffer[length++] = Separator;
                        next.CopyTo(buffer, length);
                        length += next.Length;
                        taken += next.Length;
                        frames++;
                        next = more ? TryTake(CoalesceBytes - 1 - length, out more) : null;
                    }

                    await _socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    _metrics?.FramesSent(frames);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                Release(taken);
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

    /// <summary>Takes the oldest frame if it is at most <paramref name="maxLength"/> bytes; says whether more are queued.</summary>
    private byte[]? TryTake(int maxLength, out bool more)
    {
        lock (_queue)
        {
            if (_queue.TryPeek(out var frame) && frame.Length <= maxLength)
            {
                _queue.Dequeue();
            }
            else
            {
                frame = null;
            }

            more = _queue.Count > 0;
            if (!more && _queue.Capacity > TrimAbove)
            {
                _queue.TrimExcess();
            }

            return frame;
        }
    }

    /// <summary>Waits until a frame is queued (true) or the queue is completed and empty (false).</summary>
    private ValueTask<bool> WaitForFramesAsync()
    {
        lock (_queue)
        {
            if (_queue.Count > 0)
            {
                return ValueTask.FromResult(true);
            }

            if (_completed)
            {
                return ValueTask.FromResult(false);
            }

            _wake.Reset();
            _writerWaiting = true;
            return new ValueTask<bool>(this, _wake.Version);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _wake.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wake.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wake.OnCompleted(continuation, state, token, flags);
}
