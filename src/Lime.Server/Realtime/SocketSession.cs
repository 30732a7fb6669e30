using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Diagnostics;
using Microsoft.Extensions.Options;

namespace Lime.Server.Realtime;

/// <summary>
/// Runs one accepted WebSocket: registers it, subscribes it to the user's rooms, sends hello, then reads frames
/// until the peer leaves. A receive buffer is rented only while a message is being read (idle connections hold
/// none). Sends are processed concurrently (up to MaxInFlightPerConnection) in arrival order of enqueueing, so
/// one connection's messages keep their order; bad frames get an error frame and the connection lives on.
/// </summary>
public sealed class SocketSession(
    ChatService chat,
    MessageOperations operations,
    SyncService sync,
    Search.SearchService search,
    ReadReceipts receipts,
    TypingService typing,
    Presence.PresenceService presence,
    ConnectionRegistry registry,
    Auth.DeviceSessions sessions,
    LimeMetrics metrics,
    IOptions<LimeOptions> options,
    ILogger<SocketSession> log)
{
    private const int InitialBuffer = 16 * 1024;

    /// <summary>
    /// How long a history or sync request waits for room in the connection's byte budget (the client reading what is
    /// queued) before the client counts as not reading and is closed as a slow consumer (4008).
    /// </summary>
    public static readonly TimeSpan ReplyRoomWait = TimeSpan.FromSeconds(10);

    private readonly RealtimeOptions _options = options.Value.Realtime;
    private readonly LimitOptions _limits = options.Value.Limits;
    private readonly int _largeRoomMembers = options.Value.Rooms.LargeRoomMembers;

    public async Task RunAsync(WebSocket socket, long userId, long deviceId, CancellationToken aborted)
    {
        var connection = new ClientConnection(socket, userId, deviceId, _options.SendQueueFrames, _options.SendQueueBytes, metrics);
        connection.Enqueue(Serialize(new HelloFrame(
            userId, deviceId, connection.Id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            _options.HeartbeatIntervalSeconds * 1000, _options.IdleTimeoutSeconds * 1000, _limits.MaxTextBytes, _options.MaxFrameBytes,
            _largeRoomMembers),
            SocketJson.Context.HelloFrame));

        // Registered before the room list is read, so membership events committed meanwhile are not missed.
        registry.Add(connection);
        metrics.ConnectionOpened();
        Task writer = connection.RunWriterAsync();
        var inFlight = new Slots(_options.MaxInFlightPerConnection, _options.MaxReadsInFlight);
        try
        {
            // A revocation applied between the upgrade's token check and the registration above did not see this
            // connection; the session's cached answer has turned into a revocation by then, so ask again.
            if (!await sessions.IsLiveAsync(deviceId, userId, aborted))
            {
                connection.Close(CloseCodes.SessionRevoked, "logged_out", TimeSpan.FromSeconds(2));
                return;
            }

            registry.SubscribeInitial(connection, await chat.RoomIdsOfUserAsync(userId, aborted));
            presence.Connected(userId);
            Log.SocketOpened(log, connection.Id, userId, deviceId);
            await ReceiveLoopAsync(socket, connection, inFlight, aborted);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer vanished; nothing to tell it.
        }
        finally
        {
            registry.Remove(connection);
            metrics.ConnectionClosed();
            connection.Close(connection.CloseCode ?? (int)WebSocketCloseStatus.NormalClosure, "", TimeSpan.FromSeconds(2));
            await writer;
            Log.SocketClosed(log, connection.Id, connection.CloseCode ?? 0);
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket, ClientConnection connection, Slots inFlight, CancellationToken ct)
    {
        while (socket.State == WebSocketState.Open)
        {
            // Wait for data without holding a buffer.
            var peek = await socket.ReceiveAsync(Memory<byte>.Empty, ct);
            if (peek.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
            try
            {
                int length = 0;
                bool tooLarge = false;
                ValueWebSocketReceiveResult result = peek;
                while (!result.EndOfMessage)
                {
                    if (length == buffer.Length)
                    {
                        if (length > _options.MaxFrameBytes)
                        {
                            tooLarge = true;
                            break;
                        }

                        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, _options.MaxFrameBytes + 1));
                        buffer.AsSpan(0, length).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    length += result.Count;
                }

                connection.Touch();
                metrics.FrameReceived();
                if (tooLarge || length > _options.MaxFrameBytes)
                {
                    connection.Enqueue(Serialize(new ErrorFrame(null, ErrorCodes.FrameTooLarge, $"Frames are limited to {_options.MaxFrameBytes} bytes."), SocketJson.Context.ErrorFrame));
                    connection.Close(CloseCodes.FrameTooLarge, "frame_too_large", TimeSpan.FromSeconds(2));
                    return;
                }

                if (result.MessageType != WebSocketMessageType.Text)
                {
                    Reply(connection, new ErrorFrame(null, ErrorCodes.BadFrame, "Frames must be UTF-8 JSON text messages."));
                    continue;
                }

                if (Parse(connection, buffer.AsSpan(0, length)) is { } frame)
                {
                    await DispatchAsync(connection, frame, inFlight, ct);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static ClientFrame? Parse(ClientConnection connection, ReadOnlySpan<byte> json)
    {
        try
        {
            var frame = JsonSerializer.Deserialize(json, LimeJsonContext.Default.ClientFrame);
            if (frame is null)
            {
                Reply(connection, new ErrorFrame(null, ErrorCodes.BadFrame, "A frame must be a JSON object."));
            }

            return frame;
        }
        catch (JsonException e)
        {
            Reply(connection, new ErrorFrame(null, ErrorCodes.BadFrame, "Malformed frame: " + e.Message));
            return null;
        }
    }

    private async ValueTask DispatchAsync(ClientConnection connection, ClientFrame frame, Slots inFlight, CancellationToken ct)
    {
        switch (frame.Type)
        {
            case ClientFrameTypes.Ping:
                connection.Enqueue(Serialize(new PongFrame(frame.Id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), SocketJson.Context.PongFrame));
                return;
            case ClientFrameTypes.Send or ClientFrameTypes.History or ClientFrameTypes.Sync or ClientFrameTypes.Read or ClientFrameTypes.Typing
                or ClientFrameTypes.Edit or ClientFrameTypes.Delete or ClientFrameTypes.React or ClientFrameTypes.Unreact
                or ClientFrameTypes.Pin or ClientFrameTypes.Unpin or ClientFrameTypes.Hide or ClientFrameTypes.Search:
                // Bounded concurrency per connection: when full, stop reading until one finishes (back-pressure).
                // Reads (history, sync) have a smaller bound of their own: each holds up to a reply's worth of memory.
                bool read = frame.Type is ClientFrameTypes.History or ClientFrameTypes.Sync or ClientFrameTypes.Search;
                if (read)
                {
                    await inFlight.Reads.WaitAsync(ct);
                }

                try
                {
                    await inFlight.All.WaitAsync(ct);
                }
                catch
                {
                    if (read)
                    {
                        inFlight.Reads.Release();
                    }

                    throw;
                }

                _ = RunRequestAsync(connection, frame, inFlight, read, ct);
                return;
            default:
                Reply(connection, new ErrorFrame(frame.Id, ErrorCodes.UnknownType, $"Unknown frame type '{frame.Type}'."));
                return;
        }
    }

    private async Task RunRequestAsync(ClientConnection connection, ClientFrame frame, Slots inFlight, bool read, CancellationToken ct)
    {
        // A read's reply is built only within room reserved in the connection's byte budget: a client that asks and
        // does not read runs out of budget, then of read slots, and then is not read from (and closed after a while).
        int reserved = 0;
        try
        {
            if (read)
            {
                int reply = ReplyCap.Reservation(_limits, frame.Id?.Length ?? 0);
                if (!await connection.ReserveAsync(reply, ReplyRoomWait, ct))
                {
                    return;
                }

                reserved = reply;
            }

            if (frame.Type == ClientFrameTypes.Sync)
            {
                var result = await sync.SyncAsync(connection.UserId, frame.Cursors, frame.LimitPerRoom, ct);
                connection.EnqueueReserved(Serialize(new SyncFrame(frame.Id, result), SocketJson.Context.SyncFrame), reserved);
                reserved = 0;
                return;
            }

            if (frame.Type == ClientFrameTypes.Search)
            {
                var found = await search.SearchAsync(connection.UserId, frame.Q, frame.Mode, frame.Room, frame.From, frame.Before, frame.After, frame.Cursor, frame.Limit, ct);
                connection.EnqueueReserved(Serialize(new SearchFrame(frame.Id, found.Hits, found.NextCursor), SocketJson.Context.SearchFrame), reserved);
                reserved = 0;
                return;
            }

            if (frame.Room is not { } room)
            {
                throw LimeException.Validation("room is required.");
            }

            switch (frame.Type)
            {
                case ClientFrameTypes.Send:
                    // SendAsync validates and enqueues synchronously, so frames from one connection commit in order.
                    var ack = await chat.SendAsync(connection.UserId, room, frame.ClientMsgId, frame.Text, frame.ReplyTo, frame.Mentions, frame.MentionRoom, frame.Attachments, CancellationToken.None);
                    connection.Enqueue(Serialize(new AckFrame(frame.Id, ack), SocketJson.Context.AckFrame));
                    break;
                case ClientFrameTypes.History:
                    var page = await chat.GetHistoryAsync(connection.UserId, room, frame.Before, frame.After, frame.Around, frame.Limit, ct);
                    connection.EnqueueReserved(Serialize(new HistoryFrame(frame.Id, room, page.Events, page.HasMoreBefore, page.HasMoreAfter), SocketJson.Context.HistoryFrame), reserved);
                    reserved = 0;
                    break;
                case ClientFrameTypes.Edit or ClientFrameTypes.Delete or ClientFrameTypes.React or ClientFrameTypes.Unreact
                    or ClientFrameTypes.Pin or ClientFrameTypes.Unpin:
                    // Like sends, not cancelled with the connection once queued: the operation may commit.
                    var opAck = await OperateAsync(connection.UserId, room, frame);
                    connection.Enqueue(Serialize(new OpAckFrame(frame.Id, opAck), SocketJson.Context.OpAckFrame));
                    break;
                case ClientFrameTypes.Hide:
                    await operations.HideAsync(connection.UserId, room, RequireSeq(frame), CancellationToken.None);
                    connection.Enqueue(Serialize(new HiddenFrame(frame.Id, room, RequireSeq(frame)), SocketJson.Context.HiddenFrame));
                    break;
                case ClientFrameTypes.Read:
                    // The reply is the read frame itself, which reaches this connection through the fanout too.
                    var state = await receipts.MarkReadAsync(connection.UserId, room, frame.Seq, ct);
                    connection.Enqueue(Serialize(new ReadFrame(frame.Id, room, connection.UserId, state.ReadSeq), SocketJson.Context.ReadFrame));
                    break;
                default:
                    await typing.TypingAsync(connection.UserId, room, ct);
                    break;
            }
        }
        catch (LimeException e)
        {
            GiveBack(connection, ref reserved);
            Reply(connection, new ErrorFrame(frame.Id, e.Code, e.Message, e.RetryAfter is { } r ? (int)Math.Ceiling(r.TotalMilliseconds) : null));
        }
        catch (OperationCanceledException)
        {
            // Connection gone.
        }
        catch (Exception e)
        {
            Log.RequestFailed(log, frame.Type ?? "", e);
            GiveBack(connection, ref reserved);
            Reply(connection, new ErrorFrame(frame.Id, ErrorCodes.Internal, "Internal error."));
        }
        finally
        {
            GiveBack(connection, ref reserved);
            inFlight.All.Release();
            if (read)
            {
                inFlight.Reads.Release();
            }
        }
    }

    private Task<OperationAckDto> OperateAsync(long userId, long room, ClientFrame frame)
    {
        long seq = RequireSeq(frame);
        return frame.Type switch
        {
            ClientFrameTypes.Edit => operations.EditAsync(userId, room, seq, frame.Text, frame.ClientMsgId, CancellationToken.None),
            ClientFrameTypes.Delete => operations.DeleteAsync(userId, room, seq, frame.ClientMsgId, CancellationToken.None),
            ClientFrameTypes.React => operations.ReactAsync(userId, room, seq, frame.Emoji, add: true, frame.ClientMsgId, CancellationToken.None),
            ClientFrameTypes.Unreact => operations.ReactAsync(userId, room, seq, frame.Emoji, add: false, frame.ClientMsgId, CancellationToken.None),
            ClientFrameTypes.Pin => operations.PinAsync(userId, room, seq, pin: true, frame.ClientMsgId, CancellationToken.None),
            _ => operations.PinAsync(userId, room, seq, pin: false, frame.ClientMsgId, CancellationToken.None),
        };
    }

    private static long RequireSeq(ClientFrame frame) => frame.Seq ?? throw LimeException.Validation("seq is required (the message operated on).");

    /// <summary>Returns an unused reservation (the request was refused or failed; its error frame is queued as usual).</summary>
    private static void GiveBack(ClientConnection connection, ref int reserved)
    {
        if (reserved > 0)
        {
            connection.Unreserve(reserved);
            reserved = 0;
        }
    }

    /// <summary>
    /// A connection's request slots: all requests, and the smaller number of reads (history, sync) among them, made on
    /// the first read (by the receive loop, the only caller before any release), so an idle connection holds one semaphore.
    /// </summary>
    private sealed class Slots(int all, int reads)
    {
        private SemaphoreSlim? _reads;

        public SemaphoreSlim All { get; } = new(all);

        public SemaphoreSlim Reads => _reads ??= new(reads);
    }

    private static void Reply(ClientConnection connection, ErrorFrame error) =>
        connection.Enqueue(Serialize(error, SocketJson.Context.ErrorFrame));

    private static byte[] Serialize<T>(T frame, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToUtf8Bytes(frame, type);
}
