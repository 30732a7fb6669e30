using System.Threading.Channels;
using Lime.Protocol;

namespace Lime.Client;

/// <summary>Where a <see cref="LimeSession"/> is in its connection loop.</summary>
public enum SessionState
{
    Connecting,
    CatchingUp,
    Live,
    Offline,
    Stopped,
}

/// <summary>
/// The documented client loop for one device (docs/protocol.md §7): connect → one <c>sync</c> with this device's
/// cursors → live events. Events are applied per room strictly in seq order: duplicates (seq already applied) are
/// dropped, an event past a gap is held back while the gap is fetched from history, and a dropped connection is
/// re-established with jittered exponential backoff and caught up again. Messages sent through the session sit in
/// an outbox until acknowledged and are re-sent after a reconnect (or, after an unknown outcome such as <c>unavailable</c>,
/// after a short pause) with the same client_msg_id, so each is stored once.
/// Thread-safe.
/// </summary>
public sealed class LimeSession : IAsyncDisposable
{
    private const int GapPage = 200;
    private readonly Func<CancellationToken, Task<LimeSocket>> _connect;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, RoomTimeline> _rooms = [];
    private readonly List<OutboxItem> _outbox = [];
    private readonly Channel<EventDto> _applied = Channel.CreateUnbounded<EventDto>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _maxBackoff;
    private Task _loop = Task.CompletedTask;
    private LimeSocket? _socket;
    private SessionState _state = SessionState.Offline;
    private long _self;

    /// <param name="connect">Opens a new authenticated socket (called again for every reconnect; refresh tokens there).</param>
    /// <param name="maxBackoff">Longest wait between reconnect attempts (default 30 s).</param>
    public LimeSession(Func<CancellationToken, Task<LimeSocket>> connect, TimeSpan? maxBackoff = null)
    {
        _connect = connect;
        _maxBackoff = maxBackoff ?? TimeSpan.FromSeconds(30);
    }

    /// <summary>Every event as it is applied: per room in seq order, each once.</summary>
    public ChannelReader<EventDto> Applied => _applied.Reader;

    public SessionState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>How many times a connection was (re)established and caught up.</summary>
    public int Connections { get; private set; }

    /// <summary>The socket currently in use (null while offline). Tests abort it to simulate a dropped network.</summary>
    public LimeSocket? CurrentSocket
    {
        get
        {
            lock (_lock)
            {
                return _socket;
            }
        }
    }

    /// <summary>Starts the connection loop.</summary>
    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>The room's events known to this device, in seq order, contiguous from the first one held.</summary>
    public IReadOnlyList<EventDto> Timeline(long room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var t) ? [.. t.Events] : [];
        }
    }

    /// <summary>The last contiguous seq held per room: this device's sync cursors.</summary>
    public SyncCursor[] Cursors()
    {
        lock (_lock)
        {
            return [.. _rooms.Values.Where(t => t.LastSeq > 0).Select(t => new SyncCursor(t.Room, t.LastSeq))];
        }
    }

    /// <summary>This user's read watermark in a room as last seen by this device.</summary>
    public long ReadSeq(long room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var t) ? t.ReadSeq : 0;
        }
    }

    /// <summary>
    /// Queues a message and returns when it is acknowledged (durably stored), however many reconnects that takes.
    /// Fails only for a refusal that a retry cannot fix (validation, forbidden, too large...).
    /// </summary>
    public Task<AckDto> SendAsync(long room, string text, long? replyTo = null, string? clientMsgId = null)
    {
        var item = new OutboxItem(room, clientMsgId ?? Guid.NewGuid().ToString("N"), text, replyTo);
        LimeSocket? socket;
        lock (_lock)
        {
            _outbox.Add(item);
            socket = _state == SessionState.Live ? _socket : null;
        }

        if (socket is not null)
        {
            _ = TransmitAsync(socket, item);
        }

        return item.Completion.Task;
    }

    /// <summary>Messages queued and not yet acknowledged.</summary>
    public int Unsent
    {
        get
        {
            lock (_lock)
            {
                return _outbox.Count;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        LimeSocket? socket;
        lock (_lock)
        {
            socket = _socket;
            _state = SessionState.Stopped;
        }

        socket?.Abort();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }

        _applied.Writer.TryComplete();
        foreach (var item in _outbox)
        {
            item.Completion.TrySetCanceled();
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            SetState(SessionState.Connecting, null);
            LimeSocket? socket = null;
            try
            {
                socket = await _connect(ct);
                _self = socket.Hello.UserId;
                SetState(SessionState.CatchingUp, socket);
                var pump = PumpAsync(socket);
                var sync = await socket.SyncAsync(Cursors(), ct: ct);
                await ApplySyncAsync(socket, sync, ct);
                Connections++;
                failures = 0;
                List<OutboxItem> pending;
                lock (_lock)
                {
                    _state = SessionState.Live;
                    pending = [.. _outbox];
                }

                foreach (var item in pending)
                {
                    _ = TransmitAsync(socket, item); // in order: one connection's sends commit in the order sent
                }

                await socket.Completion.ConfigureAwait(false);
                await pump;
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Connection failed or dropped: back off and try again.
            }
            catch (OperationCanceledException)
            {
                break;
            }
            finally
            {
                socket?.Abort();
                if (socket is not null)
                {
                    try
                    {
                        await socket.DisposeAsync();
                    }
                    catch (Exception e) when (e is ObjectDisposedException or System.Net.WebSockets.WebSocketException or IOException or InvalidOperationException)
                    {
                        // The socket's heartbeat can race the abort (a ping written to the disposed WebSocket): the
                        // connection is gone either way. Escaping here would end this loop and never reconnect again.
                    }
                }
            }

            if (ct.IsCancellationRequested)
            {
                break;
            }

            SetState(SessionState.Offline, null);
            failures++;
            double ceiling = Math.Min(_maxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 16)));
            var delay = TimeSpan.FromMilliseconds(ceiling * (0.5 + Random.Shared.NextDouble() / 2)); // jitter: 50-100 %
            try
            {
                await Task.Delay(delay, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        SetState(SessionState.Stopped, null);
    }

    private void SetState(SessionState state, LimeSocket? socket)
    {
        lock (_lock)
        {
            if (_state != SessionState.Stopped)
            {
                _state = state;
            }

            _socket = socket;
        }
    }

    private async Task TransmitAsync(LimeSocket socket, OutboxItem item)
    {
        try
        {
            var ack = await socket.SendMessageAsync(item.Room, item.ClientMsgId, item.Text, item.ReplyTo);
            Complete(item, ack);
        }
        catch (LimeSocketException e) when (e.Code is ErrorCodes.RateLimited or ErrorCodes.Unavailable or ErrorCodes.Overloaded or ErrorCodes.Internal)
        {
            // rate_limited: wait as told. unavailable/internal: the outcome is unknown and the connection may well stay
            // up (e.g. the store could not confirm the commit in time), so waiting for a reconnect could wait forever:
            // resend with the same client_msg_id (stored at most once) after a jittered backoff of 0.25 s doubling to 8 s.
            item.Failures++;
            double ceiling = 250 * Math.Pow(2, Math.Min(item.Failures - 1, 5));
            await Task.Delay(e.Code is ErrorCodes.RateLimited
                ? Math.Max(100, e.RetryAfterMs ?? 1000)
                : (int)(ceiling * (0.5 + (Random.Shared.NextDouble() / 2))));
            LimeSocket? current;
            lock (_lock)
            {
                current = _state == SessionState.Live ? _socket : null;
            }

            if (current is not null)
            {
                await TransmitAsync(current, item);
            }
        }
        catch (LimeSocketException e) when (e.Code is ErrorCodes.Validation or ErrorCodes.Forbidden or ErrorCodes.NotFound or ErrorCodes.MessageTooLarge)
        {
            lock (_lock)
            {
                _outbox.Remove(item);
            }

            item.Completion.TrySetException(e);
        }
        catch (LimeSocketException)
        {
            // Connection lost (outcome unknown): it stays in the outbox and is re-sent after reconnecting.
        }
    }

    private void Complete(OutboxItem item, AckDto ack)
    {
        lock (_lock)
        {
            _outbox.Remove(item);
        }

        item.Completion.TrySetResult(ack);
    }

    private async Task PumpAsync(LimeSocket socket)
    {
        var signals = Task.Run(async () =>
        {
            await foreach (var signal in socket.Signals.ReadAllAsync())
            {
                ApplySignal(signal);
            }
        });
        try
        {
            await foreach (var e in socket.Events.ReadAllAsync())
            {
                if (Apply(e) is { } gap)
                {
                    _ = FillGapAsync(socket, gap.Room, gap.After);
                }
            }
        }
        catch (LimeSocketException)
        {
            // Ends with the connection.
        }

        await signals;
    }

    private void ApplySignal(object signal)
    {
        if (signal is ReadFrame read)
        {
            lock (_lock)
            {
                if (_rooms.TryGetValue(read.Room, out var t) && read.User == t.Self)
                {
                    t.ReadSeq = Math.Max(t.ReadSeq, read.Seq);
                }
            }
        }
    }

    private async Task ApplySyncAsync(LimeSocket socket, SyncResponse sync, CancellationToken ct)
    {
        long self = _self;
        lock (_lock)
        {
            foreach (long left in sync.Left)
            {
                _rooms.Remove(left);
            }

            foreach (var room in sync.Rooms)
            {
                if (!_rooms.TryGetValue(room.Room.Id, out var t))
                {
                    // New to this device: start from the snapshot (older events are history, see LoadOlder).
                    // A room this device already holds keeps its timeline even when the server sends a snapshot:
                    // the snapshot's events are held back while the hole before them is filled from history.
                    t = new RoomTimeline(room.Room.Id, self);
                    _rooms[room.Room.Id] = t;
                    if (room.Events.Length > 0)
                    {
                        t.LastSeq = room.Events[0].Seq - 1;
                    }
                    else if (room.Snapshot)
                    {
                        // A snapshot whose events were all cut (the reply hit the server's byte cap): nothing is held,
                        // everything up to last_seq is history.
                        t.LastSeq = room.Room.LastSeq;
                    }
                }

                t.ReadSeq = Math.Max(t.ReadSeq, room.ReadSeq);
            }
        }

        foreach (var room in sync.Rooms)
        {
            (long Room, long After)? gap = null;
            foreach (var e in room.Events)
            {
                gap ??= Apply(e);
            }

            if (gap is { } g)
            {
                await FillGapAsync(socket, g.Room, g.After, ct);
            }

            if (room.HasMore)
            {
                // Also with no events: the reply was cut before this room's first one; continue after the cursor.
                await FillGapAsync(socket, room.Room.Id, room.Events.Length > 0 ? room.Events[^1].Seq : LastSeqOf(room.Room.Id), ct);
            }
        }
    }

    private long LastSeqOf(long room)
    {
        lock (_lock)
        {
            return _rooms.TryGetValue(room, out var t) ? t.LastSeq : 0;
        }
    }

    /// <summary>Applies one event; returns the gap to fetch if it arrived early.</summary>
    private (long Room, long After)? Apply(EventDto e)
    {
        var ready = new List<EventDto>();
        (long, long)? gap = null;
        lock (_lock)
        {
            if (!_rooms.TryGetValue(e.Room, out var t))
            {
                // A room this device has not seen (e.g. just added): it starts with this event only if it is the first.
                t = new RoomTimeline(e.Room, _self);
                _rooms[e.Room] = t;
            }

            if (e.Seq <= t.LastSeq || t.Early.ContainsKey(e.Seq))
            {
                return null; // duplicate
            }

            t.Early[e.Seq] = e;
            while (t.Early.Remove(t.LastSeq + 1, out var next))
            {
                t.Events.Add(next);
                t.LastSeq = next.Seq;
                ready.Add(next);
            }

            if (t.Early.Count > 0 && !t.FillingGap)
            {
                t.FillingGap = true;
                gap = (t.Room, t.LastSeq);
            }
        }

        foreach (var r in ready)
        {
            _applied.Writer.TryWrite(r);
        }

        return gap;
    }

    private async Task FillGapAsync(LimeSocket socket, long room, long after, CancellationToken ct = default)
    {
        try
        {
            while (true)
            {
                var page = await socket.HistoryAsync(room, after: after, limit: GapPage, ct: ct);
                foreach (var e in page.Events)
                {
                    Apply(e);
                }

                if (!page.HasMoreAfter || page.Events.Length == 0)
                {
                    break;
                }

                after = page.Events[^1].Seq;
            }
        }
        catch (LimeSocketException)
        {
            // The next connection's sync fills it.
        }
        finally
        {
            (long, long)? again = null;
            lock (_lock)
            {
                if (_rooms.TryGetValue(room, out var t))
                {
                    t.FillingGap = false;
                    if (t.Early.Count > 0)
                    {
                        t.FillingGap = true;
                        again = (room, t.LastSeq);
                    }
                }
            }

            if (again is { } g && socket.Completion.IsCompleted is false)
            {
                _ = FillGapAsync(socket, g.Item1, g.Item2, ct);
            }
        }
    }

    private sealed class RoomTimeline(long room, long self)
    {
        public long Room { get; } = room;
        public long Self { get; } = self;
        public long LastSeq { get; set; }
        public long ReadSeq { get; set; }
        public bool FillingGap { get; set; }
        public List<EventDto> Events { get; } = [];
        public SortedDictionary<long, EventDto> Early { get; } = [];
    }

    private sealed record OutboxItem(long Room, string ClientMsgId, string Text, long? ReplyTo)
    {
        public TaskCompletionSource<AckDto> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Answers with an unknown outcome so far (paces the resends).</summary>
        public int Failures { get; set; }
    }
}
