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
    ReadReceipts receipts,
    TypingService typing,
    Presence.PresenceService presence,
    ConnectionRegistry registry,
    IOptions<LimeOptions> options,
    ILogger<SocketSession> log)
{
    private const int InitialBuffer = 16 * 1024;
    private readonly RealtimeOptions _options = options.Value.Realtime;
    private readonly LimitOptions _limits = options.Value.Limits;

    public async Task RunAsync(WebSocket socket, long userId, long deviceId, CancellationToken aborted)
    {
        var connection = new ClientConnection(socket, userId, deviceId, _options.SendQueueFrames);
        connection.Enqueue(Serialize(new HelloFrame(
            userId, deviceId, connection.Id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            _options.HeartbeatIntervalSeconds * 1000, _options.IdleTimeoutSeconds * 1000, _limits.MaxTextBytes, _options.MaxFrameBytes),
            LimeJsonContext.Default.HelloFrame));

        // Registered before the room list is read, so membership events committed meanwhile are not missed.
        registry.Add(connection);
        Task writer = connection.RunWriterAsync();
        var inFlight = new SemaphoreSlim(_options.MaxInFlightPerConnection);
        try
        {
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
            connection.Close(connection.CloseCode ?? (int)WebSocketCloseStatus.NormalClosure, "", TimeSpan.FromSeconds(2));
            await writer;
            Log.SocketClosed(log, connection.Id, connection.CloseCode ?? 0);
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket, ClientConnection connection, SemaphoreSlim inFlight, CancellationToken ct)
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
                if (tooLarge || length > _options.MaxFrameBytes)
                {
                    connection.Enqueue(Serialize(new ErrorFrame(null, ErrorCodes.FrameTooLarge, $"Frames are limited to {_options.MaxFrameBytes} bytes."), LimeJsonContext.Default.ErrorFrame));
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

    private async ValueTask DispatchAsync(ClientConnection connection, ClientFrame frame, SemaphoreSlim inFlight, CancellationToken ct)
    {
        switch (frame.Type)
        {
            case ClientFrameTypes.Ping:
                connection.Enqueue(Serialize(new PongFrame(frame.Id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), LimeJsonContext.Default.PongFrame));
                return;
            case ClientFrameTypes.Send or ClientFrameTypes.History or ClientFrameTypes.Sync or ClientFrameTypes.Read or ClientFrameTypes.Typing
                or ClientFrameTypes.Edit or ClientFrameTypes.Delete or ClientFrameTypes.React or ClientFrameTypes.Unreact
                or ClientFrameTypes.Pin or ClientFrameTypes.Unpin or ClientFrameTypes.Hide:
                // Bounded concurrency per connection: when full, stop reading until one finishes (back-pressure).
                await inFlight.WaitAsync(ct);
                _ = RunRequestAsync(connection, frame, inFlight, ct);
                return;
            default:
                Reply(connection, new ErrorFrame(frame.Id, ErrorCodes.UnknownType, $"Unknown frame type '{frame.Type}'."));
                return;
        }
    }

    private async Task RunRequestAsync(ClientConnection connection, ClientFrame frame, SemaphoreSlim inFlight, CancellationToken ct)
    {
        try
        {
            if (frame.Type == ClientFrameTypes.Sync)
            {
                var result = await sync.SyncAsync(connection.UserId, frame.Cursors, frame.LimitPerRoom, ct);
                connection.Enqueue(Serialize(new SyncFrame(frame.Id, result), LimeJsonContext.Default.SyncFrame));
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
                    var ack = await chat.SendAsync(connection.UserId, room, frame.ClientMsgId, frame.Text, frame.ReplyTo, frame.Mentions, frame.MentionRoom, CancellationToken.None);
                    connection.Enqueue(Serialize(new AckFrame(frame.Id, ack), LimeJsonContext.Default.AckFrame));
                    break;
                case ClientFrameTypes.History:
                    var page = await chat.GetHistoryAsync(connection.UserId, room, frame.Before, frame.After, frame.Around, frame.Limit, ct);
                    connection.Enqueue(Serialize(new HistoryFrame(frame.Id, room, page.Events, page.HasMoreBefore, page.HasMoreAfter), LimeJsonContext.Default.HistoryFrame));
                    break;
                case ClientFrameTypes.Edit or ClientFrameTypes.Delete or ClientFrameTypes.React or ClientFrameTypes.Unreact
                    or ClientFrameTypes.Pin or ClientFrameTypes.Unpin:
                    // Like sends, not cancelled with the connection once queued: the operation may commit.
                    var opAck = await OperateAsync(connection.UserId, room, frame);
                    connection.Enqueue(Serialize(new OpAckFrame(frame.Id, opAck), LimeJsonContext.Default.OpAckFrame));
                    break;
                case ClientFrameTypes.Hide:
                    await operations.HideAsync(connection.UserId, room, RequireSeq(frame), CancellationToken.None);
                    connection.Enqueue(Serialize(new HiddenFrame(frame.Id, room, RequireSeq(frame)), LimeJsonContext.Default.HiddenFrame));
                    break;
                case ClientFrameTypes.Read:
                    // The reply is the read frame itself, which reaches this connection through the fanout too.
                    var state = await receipts.MarkReadAsync(connection.UserId, room, frame.Seq, ct);
                    connection.Enqueue(Serialize(new ReadFrame(frame.Id, room, connection.UserId, state.ReadSeq), LimeJsonContext.Default.ReadFrame));
                    break;
                default:
                    await typing.TypingAsync(connection.UserId, room, ct);
                    break;
            }
        }
        catch (LimeException e)
        {
            Reply(connection, new ErrorFrame(frame.Id, e.Code, e.Message, e.RetryAfter is { } r ? (int)Math.Ceiling(r.TotalMilliseconds) : null));
        }
        catch (OperationCanceledException)
        {
            // Connection gone.
        }
        catch (Exception e)
        {
            Log.RequestFailed(log, frame.Type ?? "", e);
            Reply(connection, new ErrorFrame(frame.Id, ErrorCodes.Internal, "Internal error."));
        }
        finally
        {
            inFlight.Release();
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

    private static void Reply(ClientConnection connection, ErrorFrame error) =>
        connection.Enqueue(Serialize(error, LimeJsonContext.Default.ErrorFrame));

    private static byte[] Serialize<T>(T frame, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToUtf8Bytes(frame, type);
}
