using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Lime.Protocol;

namespace Lime.Client;

/// <summary>
/// One real-time LIME connection. Server messages may hold several '\n'-separated JSON frames and may be
/// fragmented; each client frame is sent as exactly one WebSocket text message. Requests (<see cref="SendMessageAsync"/>,
/// <see cref="HistoryAsync"/>, <see cref="PingAsync"/>) carry a per-socket id ("1", "2", ...) and complete with the
/// reply echoing that id. All members are thread-safe.
/// </summary>
public sealed class LimeSocket : IAsyncDisposable
{
    private const int InitialBufferSize = 16 * 1024;
    private const int MaxRetainedBufferSize = 256 * 1024;
    private const int ErrorQueueCapacity = 1024;
    private const int SignalQueueCapacity = 16 * 1024;
    private static readonly TimeSpan CloseReplyTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DisposeCloseTimeout = TimeSpan.FromSeconds(2);
    private static readonly LimeJsonContext Json = LimeJsonContext.Default;

    private readonly WebSocket _ws;
    private readonly LimeSocketOptions _options;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<object>> _pending = new(StringComparer.Ordinal);
    private readonly Channel<EventDto> _events;
    private readonly Channel<ErrorFrame> _errors;
    private readonly Channel<object> _signals;
    private readonly TaskCompletionSource<HelloFrame> _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lifetime = new();
    private Task _receiveLoop = Task.CompletedTask;
    private Task _heartbeatLoop = Task.CompletedTask;
    private long _nextId;
    private volatile bool _ended;
    private int _disposed;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeDescription;

    private LimeSocket(WebSocket ws, LimeSocketOptions options)
    {
        _ws = ws;
        _options = options;
        _events = Channel.CreateBounded<EventDto>(new BoundedChannelOptions(options.EventQueueCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _errors = Channel.CreateBounded<ErrorFrame>(new BoundedChannelOptions(ErrorQueueCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.DropOldest,
        });
        _signals = Channel.CreateBounded<object>(new BoundedChannelOptions(SignalQueueCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.DropOldest,
        });
    }

    /// <summary>The server's hello frame; always set once <see cref="ConnectAsync"/> has returned.</summary>
    public HelloFrame Hello => _hello.Task.IsCompletedSuccessfully ? _hello.Task.Result : throw new InvalidOperationException("No hello received.");

    /// <summary>
    /// Every event frame's event, in arrival order. Completes when the connection ends: without error after a
    /// close or a dropped connection, with the <see cref="Completion"/> fault when the client gave up the connection.
    /// </summary>
    public ChannelReader<EventDto> Events => _events.Reader;

    /// <summary>
    /// Error frames that answer no pending request (e.g. id null for a malformed frame, or a request already
    /// abandoned). Bounded: keeps the newest 1024. Completes when the connection ends.
    /// </summary>
    public ChannelReader<ErrorFrame> Errors => _errors.Reader;

    /// <summary>
    /// Ephemeral frames: <see cref="ReadFrame"/> (a read watermark moved), <see cref="TypingFrame"/>,
    /// <see cref="PresenceFrame"/>, <see cref="HiddenFrame"/> (this user hid a message on another device) and
    /// <see cref="MentionFrame"/> (this user was mentioned). Bounded: keeps the newest 16,384. Completes when the connection ends.
    /// </summary>
    public ChannelReader<object> Signals => _signals.Reader;

    /// <summary>
    /// Completes when the connection has ended and every pending request has failed. It completes successfully
    /// after a close handshake (either side), a local <see cref="Abort"/> or a dropped connection; it faults with a
    /// <see cref="LimeSocketException"/> only when the client itself gave the connection up (codes
    /// "event_queue_full", "message_too_large", "bad_frame").
    /// </summary>
    public Task Completion => _completion.Task;

    /// <summary>The close status received from the server (or echoed for a client-initiated close); null if the connection ended without a close frame.</summary>
    public WebSocketCloseStatus? CloseStatus => _closeStatus;

    /// <summary>The raw close code received (e.g. 4001 from <see cref="CloseCodes"/>); null if the connection ended without a close frame.</summary>
    public int? CloseCode => (int?)_closeStatus;

    /// <summary>The close reason received with the close frame, if any.</summary>
    public string? CloseDescription => _closeDescription;

    /// <summary>
    /// Opens a connection and returns once the server's hello frame has arrived (see <see cref="Hello"/>).
    /// The token goes in <c>Authorization: Bearer</c>, or in <c>?access_token=</c> with <see cref="LimeSocketOptions.TokenInQuery"/>.
    /// Throws the connector's <see cref="WebSocketException"/> if the upgrade fails (e.g. 401/403), and a
    /// <see cref="LimeSocketException"/> if the connection closes before hello (code "closed", with the close code)
    /// or the server sends an error frame before hello (that frame's code).
    /// </summary>
    public static async Task<LimeSocket> ConnectAsync(Uri uri, string? accessToken, LimeSocketOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        options ??= new LimeSocketOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.EventQueueCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxReceiveMessageBytes);

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (accessToken is not null)
        {
            if (options.TokenInQuery)
            {
                var builder = new UriBuilder(uri);
                var query = builder.Query.TrimStart('?');
                builder.Query = (query.Length > 0 ? query + "&" : "") + "access_token=" + Uri.EscapeDataString(accessToken);
                uri = builder.Uri;
            }
            else
            {
                headers["Authorization"] = "Bearer " + accessToken;
            }
        }

        if (options.Origin is not null)
        {
            headers["Origin"] = options.Origin;
        }

        var ws = await (options.Connector ?? DefaultConnectAsync)(uri, headers, ct);
        var socket = new LimeSocket(ws, options);
        socket._receiveLoop = socket.ReceiveLoopAsync();
        try
        {
            var hello = await socket._hello.Task.WaitAsync(ct);
            var interval = options.HeartbeatInterval ?? TimeSpan.FromMilliseconds(Math.Max(0, hello.HeartbeatIntervalMs));
            if (interval > TimeSpan.Zero)
            {
                socket._heartbeatLoop = socket.HeartbeatLoopAsync(interval);
            }

            return socket;
        }
        catch
        {
            socket.Abort();
            await socket.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends a message (<c>type</c> "send") and returns the server's ack. Throws <see cref="LimeSocketException"/>
    /// with the server's code for an error reply, or code "closed" if the connection ends first. Cancelling
    /// abandons the wait; cancelling while the frame is being written aborts the connection.
    /// </summary>
    public Task<AckDto> SendMessageAsync(long room, string clientMsgId, string text, long? replyTo = null, CancellationToken ct = default) =>
        SendMessageAsync(room, new SendMessageRequest(clientMsgId, text, replyTo), ct);

    /// <summary>Sends a message with everything a REST send can carry (a reply, <c>mentions</c>, <c>mention_room</c>); as <see cref="SendMessageAsync(long, string, string, long?, CancellationToken)"/>.</summary>
    public async Task<AckDto> SendMessageAsync(long room, SendMessageRequest message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var frame = new ClientFrame
        {
            Type = ClientFrameTypes.Send, Room = room, ClientMsgId = message.ClientMsgId, Text = message.Text, ReplyTo = message.ReplyTo,
            Mentions = message.Mentions, MentionRoom = message.MentionRoom, Attachments = message.Attachments,
        };
        var ack = await RequestAsync<AckFrame>(frame, ct);
        return ack.Ack;
    }

    /// <summary>Requests a page of history (<c>type</c> "history"); same reply pairing and failures as <see cref="SendMessageAsync"/>.</summary>
    public Task<HistoryFrame> HistoryAsync(long room, long? before = null, long? after = null, long? around = null, int? limit = null, CancellationToken ct = default) =>
        RequestAsync<HistoryFrame>(
            new ClientFrame { Type = ClientFrameTypes.History, Room = room, Before = before, After = after, Around = around, Limit = limit },
            ct);

    /// <summary>
    /// Catch-up in one round trip (<c>type</c> "sync"): for every room of the user, the events after the given cursor
    /// (or a snapshot for rooms not listed or too far behind), read state, and the rooms the user left.
    /// </summary>
    public async Task<SyncResponse> SyncAsync(SyncCursor[]? cursors, int? limitPerRoom = null, CancellationToken ct = default)
    {
        var reply = await RequestAsync<SyncFrame>(new ClientFrame { Type = ClientFrameTypes.Sync, Cursors = cursors, LimitPerRoom = limitPerRoom }, ct);
        return reply.Sync;
    }

    /// <summary>Moves this user's read watermark in a room forward (<c>type</c> "read"); returns the watermark now in force.</summary>
    public Task<ReadFrame> MarkReadAsync(long room, long seq, CancellationToken ct = default) =>
        RequestAsync<ReadFrame>(new ClientFrame { Type = ClientFrameTypes.Read, Room = room, Seq = seq }, ct);

    /// <summary>Edits a message (<c>type</c> "edit"); returns the operation's ack.</summary>
    public Task<OperationAckDto> EditMessageAsync(long room, long seq, string text, string? clientMsgId = null, CancellationToken ct = default) =>
        OperateAsync(new ClientFrame { Type = ClientFrameTypes.Edit, Room = room, Seq = seq, Text = text, ClientMsgId = clientMsgId }, ct);

    /// <summary>Deletes a message for everyone (<c>type</c> "delete").</summary>
    public Task<OperationAckDto> DeleteMessageAsync(long room, long seq, string? clientMsgId = null, CancellationToken ct = default) =>
        OperateAsync(new ClientFrame { Type = ClientFrameTypes.Delete, Room = room, Seq = seq, ClientMsgId = clientMsgId }, ct);

    /// <summary>Adds (<c>type</c> "react") or removes ("unreact") this user's reaction to a message.</summary>
    public Task<OperationAckDto> ReactAsync(long room, long seq, string emoji, bool add = true, string? clientMsgId = null, CancellationToken ct = default) =>
        OperateAsync(new ClientFrame { Type = add ? ClientFrameTypes.React : ClientFrameTypes.Unreact, Room = room, Seq = seq, Emoji = emoji, ClientMsgId = clientMsgId }, ct);

    /// <summary>Pins (<c>type</c> "pin") or unpins ("unpin") a message.</summary>
    public Task<OperationAckDto> PinAsync(long room, long seq, bool pin = true, string? clientMsgId = null, CancellationToken ct = default) =>
        OperateAsync(new ClientFrame { Type = pin ? ClientFrameTypes.Pin : ClientFrameTypes.Unpin, Room = room, Seq = seq, ClientMsgId = clientMsgId }, ct);

    /// <summary>Hides a message for this user (<c>type</c> "hide"); every connection of the user gets a <see cref="HiddenFrame"/>.</summary>
    public Task<HiddenFrame> HideMessageAsync(long room, long seq, CancellationToken ct = default) =>
        RequestAsync<HiddenFrame>(new ClientFrame { Type = ClientFrameTypes.Hide, Room = room, Seq = seq }, ct);

    /// <summary>Searches the user's messages (<c>type</c> "search"; docs/protocol.md §14): hits newest first with snippets.</summary>
    public Task<SearchFrame> SearchAsync(string q, string? mode = null, long? room = null, long? from = null, long? before = null, long? after = null,
        string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        RequestAsync<SearchFrame>(
            new ClientFrame { Type = ClientFrameTypes.Search, Q = q, Mode = mode, Room = room, From = from, Before = before, After = after, Cursor = cursor, Limit = limit },
            ct);

    private async Task<OperationAckDto> OperateAsync(ClientFrame frame, CancellationToken ct) => (await RequestAsync<OpAckFrame>(frame, ct)).Ack;

    /// <summary>Says the user is typing in a room (<c>type</c> "typing"); no reply. The server throttles and may drop it.</summary>
    public Task TypingAsync(long room, CancellationToken ct = default) =>
        SendBytesAsync(JsonSerializer.SerializeToUtf8Bytes(new ClientFrame { Type = ClientFrameTypes.Typing, Room = room }, Json.ClientFrame), ct);

    /// <summary>Sends a ping with an id and returns the pong echoing it; same failures as <see cref="SendMessageAsync"/>.</summary>
    public Task<PongFrame> PingAsync(CancellationToken ct = default) =>
        RequestAsync<PongFrame>(new ClientFrame { Type = ClientFrameTypes.Ping }, ct);

    /// <summary>Sends <paramref name="text"/> as one WebSocket text message, unchanged. Throws <see cref="LimeSocketException"/> ("closed") if the connection has ended.</summary>
    public Task SendRawAsync(string text, CancellationToken ct = default) => SendBytesAsync(Encoding.UTF8.GetBytes(text), ct);

    /// <summary>
    /// Starts the close handshake with status 1000 and waits until the connection has ended (the server's close
    /// frame arrived or the connection dropped). If <paramref name="ct"/> is cancelled first, aborts the connection and throws.
    /// </summary>
    public async Task CloseAsync(CancellationToken ct = default)
    {
        try
        {
            if (!_ended)
            {
                await _sendLock.WaitAsync(ct);
                try
                {
                    if (_ws.State == WebSocketState.Open)
                    {
                        await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                    }
                }
                catch (Exception ex) when (IsConnectionLoss(ex))
                {
                    // Already gone: the receive loop ends on its own.
                }
                finally
                {
                    _sendLock.Release();
                }
            }

            await _receiveLoop.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Abort();
            throw;
        }
    }

    /// <summary>Aborts the underlying WebSocket at once, without a close handshake (simulates a dropped network).</summary>
    public void Abort() => _ws.Abort();

    /// <summary>
    /// Closes gracefully if still open (waiting at most 2 seconds, then aborting), waits for the background loops,
    /// and releases the WebSocket. Safe to call more than once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_ended)
        {
            using var timeout = new CancellationTokenSource(DisposeCloseTimeout);
            try
            {
                await CloseAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // CloseAsync aborted the connection.
            }
        }

        Abort();
        await _receiveLoop;
        await _heartbeatLoop;
        _ws.Dispose();
        _lifetime.Dispose();
    }

    private static async Task<WebSocket> DefaultConnectAsync(Uri uri, IReadOnlyDictionary<string, string> headers, CancellationToken ct)
    {
        var ws = new ClientWebSocket();
        try
        {
            foreach (var (name, value) in headers)
            {
                ws.Options.SetRequestHeader(name, value);
            }

            await ws.ConnectAsync(uri, ct);
            return ws;
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    private static bool IsConnectionLoss(Exception ex) =>
        ex is WebSocketException or ObjectDisposedException or InvalidOperationException or IOException
            || (ex is OperationCanceledException);

    /// <summary>
    /// The frame's type and id. LIME writes <c>type</c> first, so usually only the first property is read; a frame
    /// from a server that orders properties otherwise is read whole.
    /// </summary>
    private static ServerFrameHeader ReadHeader(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject
            && reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("type"u8)
            && reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            string? type = reader.GetString();
            string? id = null;
            if (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("id"u8)
                && reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                id = reader.GetString();
            }
            else if (type is not (ServerFrameTypes.Event or ServerFrameTypes.Hello or ServerFrameTypes.Typing or ServerFrameTypes.Presence))
            {
                return Parse(json, Json.ServerFrameHeader); // id may come later
            }

            return new ServerFrameHeader { Type = type, Id = id };
        }

        return Parse(json, Json.ServerFrameHeader);
    }

    private static T Parse<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> info) =>
        JsonSerializer.Deserialize(json, info) ?? throw new JsonException($"Null {typeof(T).Name}.");

    private async Task<T> RequestAsync<T>(ClientFrame frame, CancellationToken ct)
        where T : class
    {
        ThrowIfEnded();
        var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var reply = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            // End() sets _ended before draining _pending: either it saw this request or we see _ended here.
            ThrowIfEnded();
            await SendBytesAsync(JsonSerializer.SerializeToUtf8Bytes(frame with { Id = id }, Json.ClientFrame), ct);
            var result = await reply.Task.WaitAsync(ct);
            return result as T ?? throw new LimeSocketException(
                "unexpected_reply", $"Request {id} expected a {typeof(T).Name} but got a {result.GetType().Name}.");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task SendBytesAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        ThrowIfEnded();
        await _sendLock.WaitAsync(ct);
        try
        {
            await _ws.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        catch (Exception ex) when (IsConnectionLoss(ex) && !ct.IsCancellationRequested)
        {
            throw Closed(ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private void ThrowIfEnded()
    {
        if (_ended)
        {
            throw Closed(null);
        }
    }

    private LimeSocketException Closed(Exception? inner)
    {
        var message = _closeStatus is null
            ? "The connection is closed."
            : string.Create(CultureInfo.InvariantCulture, $"The connection is closed (close code {CloseCode}: {_closeDescription}).");
        return new LimeSocketException("closed", message, null, CloseCode, inner);
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval)
    {
        var ct = _lifetime.Token;
        try
        {
            using var timer = new PeriodicTimer(interval);
            var ping = JsonSerializer.SerializeToUtf8Bytes(new ClientFrame { Type = ClientFrameTypes.Ping }, Json.ClientFrame);
            while (await timer.WaitForNextTickAsync(ct))
            {
                await SendBytesAsync(ping, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or LimeSocketException)
        {
            // The connection ended.
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        var count = 0;
        Exception? fault = null;
        WebSocketCloseStatus failStatus = WebSocketCloseStatus.ProtocolError;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * buffer.Length, Array.MaxLength));
                    buffer.AsSpan(0, count).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var result = await _ws.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closeStatus = _ws.CloseStatus;
                    _closeDescription = _ws.CloseStatusDescription;
                    await ReplyToCloseAsync();
                    break;
                }

                count += result.Count;
                if (count > _options.MaxReceiveMessageBytes)
                {
                    fault = new LimeSocketException("message_too_large", $"A server message exceeded {_options.MaxReceiveMessageBytes} bytes.");
                    failStatus = WebSocketCloseStatus.MessageTooBig;
                    break;
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Text)
                {
                    fault = ProcessMessage(buffer.AsSpan(0, count));
                    if (fault is LimeSocketException { Code: "event_queue_full" })
                    {
                        failStatus = WebSocketCloseStatus.PolicyViolation;
                    }

                    if (fault is not null)
                    {
                        break;
                    }
                }

                count = 0;
                if (buffer.Length > MaxRetainedBufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
                }
            }
        }
        catch (Exception ex)
        {
            // Connection loss (abort, network, peer vanished) ends the connection normally; anything else is a fault.
            if (!IsConnectionLoss(ex))
            {
                fault = ex;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (fault is not null)
        {
            await FailAsync(failStatus, fault.Message);
        }

        End(fault);
    }

    /// <summary>Handles one complete server message; returns a fault that must end the connection, or null.</summary>
    private LimeSocketException? ProcessMessage(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            var piece = (newline < 0 ? data : data[..newline]).Trim(" \t\r"u8);
            data = newline < 0 ? default : data[(newline + 1)..];
            if (piece.IsEmpty)
            {
                continue;
            }

            try
            {
                if (HandleFrame(piece) is { } fault)
                {
                    return fault;
                }
            }
            catch (JsonException ex)
            {
                return new LimeSocketException("bad_frame", "The server sent a frame the client could not parse: " + ex.Message, null, null, ex);
            }
        }

        return null;
    }

    private LimeSocketException? HandleFrame(ReadOnlySpan<byte> json)
    {
        var header = ReadHeader(json);
        switch (header.Type)
        {
            case ServerFrameTypes.Event:
                var ev = Parse(json, Json.EventFrame).Event ?? throw new JsonException("Event frame without event.");
                return _events.Writer.TryWrite(ev)
                    ? null
                    : new LimeSocketException("event_queue_full", $"More than {_options.EventQueueCapacity} unread events.");
            case ServerFrameTypes.Hello:
                _hello.TrySetResult(Parse(json, Json.HelloFrame));
                break;
            case ServerFrameTypes.Ack:
                Reply(header.Id, Parse(json, Json.AckFrame));
                break;
            case ServerFrameTypes.History:
                Reply(header.Id, Parse(json, Json.HistoryFrame));
                break;
            case ServerFrameTypes.Search:
                Reply(header.Id, Parse(json, Json.SearchFrame));
                break;
            case ServerFrameTypes.Pong:
                Reply(header.Id, Parse(json, Json.PongFrame));
                break;
            case ServerFrameTypes.Sync:
                Reply(header.Id, Parse(json, Json.SyncFrame));
                break;
            case ServerFrameTypes.Read:
                var read = Parse(json, Json.ReadFrame);
                if (read.Id is null || !_pending.ContainsKey(read.Id))
                {
                    _signals.Writer.TryWrite(read);
                }
                else
                {
                    Reply(read.Id, read);
                }

                break;
            case ServerFrameTypes.Typing:
                _signals.Writer.TryWrite(Parse(json, Json.TypingFrame));
                break;
            case ServerFrameTypes.OpAck:
                Reply(header.Id, Parse(json, Json.OpAckFrame));
                break;
            case ServerFrameTypes.Hidden:
                var hidden = Parse(json, Json.HiddenFrame);
                if (hidden.Id is null || !_pending.ContainsKey(hidden.Id))
                {
                    _signals.Writer.TryWrite(hidden);
                }
                else
                {
                    Reply(hidden.Id, hidden);
                }

                break;
            case ServerFrameTypes.Presence:
                _signals.Writer.TryWrite(Parse(json, Json.PresenceFrame));
                break;
            case ServerFrameTypes.Mention:
                _signals.Writer.TryWrite(Parse(json, Json.MentionFrame));
                break;
            case ServerFrameTypes.Error:
                var error = Parse(json, Json.ErrorFrame);
                var exception = new LimeSocketException(error.Code, error.Message, error.RetryAfterMs);
                if (error.Id is { } id && _pending.TryRemove(id, out var pending))
                {
                    pending.TrySetException(exception);
                }
                else
                {
                    _hello.TrySetException(exception); // no-op once hello has arrived
                    _errors.Writer.TryWrite(error);
                }

                break;
            default:
                break; // Unknown frame types are ignored for forward compatibility.
        }

        return null;
    }

    private void Reply(string? id, object frame)
    {
        // Replies without id (heartbeat pongs) or for abandoned requests are dropped.
        if (id is not null && _pending.TryRemove(id, out var pending))
        {
            pending.TrySetResult(frame);
        }
    }

    private async Task ReplyToCloseAsync()
    {
        if (_ws.State != WebSocketState.CloseReceived)
        {
            return; // We started the close; the handshake is complete.
        }

        var status = _closeStatus is null or WebSocketCloseStatus.Empty ? WebSocketCloseStatus.NormalClosure : _closeStatus.Value;
        await SendCloseAsync(status, null, CloseReplyTimeout);
    }

    private async Task FailAsync(WebSocketCloseStatus status, string description)
    {
        // Best effort: tell the server why, then drop the connection without waiting for its close frame.
        // A close reason is limited to 123 UTF-8 bytes.
        var reason = description.Length > 60 ? description[..60] : description;
        await SendCloseAsync(status, reason, TimeSpan.FromSeconds(1));
        Abort();
    }

    private async Task SendCloseAsync(WebSocketCloseStatus status, string? reason, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _sendLock.WaitAsync(cts.Token);
            try
            {
                if (_ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _ws.CloseOutputAsync(status, reason, cts.Token);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception ex) when (IsConnectionLoss(ex))
        {
            // The connection is gone anyway.
        }
    }

    private void End(Exception? fault)
    {
        _ended = true;
        _lifetime.Cancel();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
            {
                pending.TrySetException(Closed(fault));
            }
        }

        _hello.TrySetException(fault ?? new LimeSocketException(
            "closed",
            _closeStatus is null
                ? "The connection closed before hello."
                : string.Create(CultureInfo.InvariantCulture, $"The connection closed before hello (close code {CloseCode}: {_closeDescription})."),
            null,
            CloseCode));
        _events.Writer.TryComplete(fault);
        _errors.Writer.TryComplete();
        _signals.Writer.TryComplete();
        if (fault is null)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(fault);
        }
    }
}
