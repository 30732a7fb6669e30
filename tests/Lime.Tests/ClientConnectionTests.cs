using System.Net.WebSockets;
using System.Text;
using Lime.Protocol;
using Lime.Server.Realtime;

namespace Lime.Tests;

/// <summary>
/// The per-connection send queue on its own, against a WebSocket that records what is sent: many threads enqueue,
/// one writer loop coalesces and sends, a full queue closes the connection, a close drains then ends the loop.
/// </summary>
public sealed class ClientConnectionTests
{
    [Fact]
    public async Task Frames_from_many_threads_arrive_once_each_in_each_threads_order_coalesced_up_to_64_KB()
    {
        var socket = new RecordingWebSocket { SendDelay = TimeSpan.FromMilliseconds(1) }; // slow enough for frames to pile up
        var connection = new ClientConnection(socket, userId: 1, deviceId: 1, queueFrames: 100_000);
        var writer = connection.RunWriterAsync();

        const int Threads = 4, PerThread = 5_000;
        var padding = new string('x', 200);
        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                connection.Enqueue(Encoding.UTF8.GetBytes($"{t}:{i}:{padding}"));
            }
        })));

        await WaitUntilAsync(() => socket.Frames.Count == Threads * PerThread);
        connection.Close(1000, "", TimeSpan.FromSeconds(5));
        await writer.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Threads * PerThread, socket.Frames.Count);
        var next = new int[Threads];
        foreach (string frame in socket.Frames)
        {
            var parts = frame.Split(':');
            int t = int.Parse(parts[0]), i = int.Parse(parts[1]);
            Assert.Equal(next[t]++, i);
        }

        Assert.All(socket.MessageLengths, length => Assert.InRange(length, 1, 64 * 1024));
        Assert.True(socket.MessageLengths.Count < Threads * PerThread / 2, $"{socket.MessageLengths.Count} messages: frames were not coalesced");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.ClosedWith);
    }

    [Fact]
    public async Task A_full_queue_closes_the_connection_as_a_slow_consumer_and_drops_what_was_queued()
    {
        var socket = new RecordingWebSocket { Blocked = new TaskCompletionSource() };
        var connection = new ClientConnection(socket, userId: 1, deviceId: 1, queueFrames: 10);
        var writer = connection.RunWriterAsync();
        connection.Enqueue("first"u8.ToArray()); // taken by the writer, whose send then blocks
        await WaitUntilAsync(() => socket.SendsStarted == 1);

        for (int i = 0; i < 10; i++)
        {
            connection.Enqueue(Encoding.UTF8.GetBytes($"queued {i}"));
        }

        Assert.Null(connection.CloseCode);
        connection.Enqueue("one too many"u8.ToArray());
        Assert.Equal(CloseCodes.SlowConsumer, connection.CloseCode);

        connection.Enqueue("after the close"u8.ToArray()); // dropped, not queued
        socket.Blocked.SetResult();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["first"], socket.Frames);
        Assert.Equal((WebSocketCloseStatus)CloseCodes.SlowConsumer, socket.ClosedWith);
    }

    [Fact]
    public async Task Bytes_count_from_queued_until_sent_and_a_frame_past_the_byte_budget_closes_as_a_slow_consumer()
    {
        var socket = new RecordingWebSocket { Blocked = new TaskCompletionSource() };
        var connection = new ClientConnection(socket, userId: 1, deviceId: 1, queueFrames: 1_000, queueBytes: 1_000);
        var writer = connection.RunWriterAsync();
        connection.Enqueue(new byte[300]); // taken by the writer, whose send blocks: still counted until sent
        await WaitUntilAsync(() => socket.SendsStarted == 1);
        connection.Enqueue(new byte[300]);
        Assert.Equal(600, connection.QueuedBytes);

        // A reservation takes room in the same budget; given back, it leaves it.
        Assert.True(await connection.ReserveAsync(400, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal(1_000, connection.QueuedBytes);
        connection.Unreserve(400);
        Assert.Equal(600, connection.QueuedBytes);

        Assert.Null(connection.CloseCode);
        connection.Enqueue(new byte[401]); // 1,001 bytes: one too many
        Assert.Equal(CloseCodes.SlowConsumer, connection.CloseCode);
        socket.Blocked.SetResult();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, connection.QueuedBytes);
    }

    [Fact]
    public async Task A_reply_waits_for_room_until_the_client_reads_and_one_that_never_gets_room_closes_the_connection()
    {
        var socket = new RecordingWebSocket { Blocked = new TaskCompletionSource() };
        var connection = new ClientConnection(socket, userId: 1, deviceId: 1, queueFrames: 1_000, queueBytes: 1_000);
        var writer = connection.RunWriterAsync();
        connection.Enqueue(new byte[800]);
        await WaitUntilAsync(() => socket.SendsStarted == 1);

        // No room for 500 until the 800 bytes leave: the client reads, the reservation goes through, and the reply
        // built in it takes the reservation over (a larger reply is still queued: its events were cut to fit).
        var waiting = connection.ReserveAsync(500, TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        socket.Blocked.SetResult();
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        connection.EnqueueReserved(new byte[600], reserved: 500);
        await WaitUntilAsync(() => socket.Frames.Count == 2);
        await WaitUntilAsync(() => connection.QueuedBytes == 0);

        // A client that never reads: the wait runs out and the connection is closed as a slow consumer.
        socket.Blocked = new TaskCompletionSource();
        connection.Enqueue(new byte[800]);
        await WaitUntilAsync(() => socket.SendsStarted == 3);
        Assert.False(await connection.ReserveAsync(500, TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.Equal(CloseCodes.SlowConsumer, connection.CloseCode);
        socket.Blocked.SetResult();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_close_sends_what_is_queued_then_the_close_frame_and_an_idle_writer_wakes_for_each_frame()
    {
        var socket = new RecordingWebSocket();
        var connection = new ClientConnection(socket, userId: 1, deviceId: 1, queueFrames: 100);
        var writer = connection.RunWriterAsync();
        for (int i = 0; i < 3; i++)
        {
            connection.Enqueue(Encoding.UTF8.GetBytes($"idle {i}"));
            await WaitUntilAsync(() => socket.Frames.Count == i + 1); // the writer went back to waiting in between
        }

        socket.Blocked = new TaskCompletionSource();
        connection.Enqueue("blocked"u8.ToArray());
        await WaitUntilAsync(() => socket.SendsStarted == 4);
        connection.Enqueue("a"u8.ToArray());
        connection.Enqueue("b"u8.ToArray());
        connection.Close(4001, "bye", TimeSpan.FromSeconds(5));
        Assert.False(writer.IsCompleted);
        socket.Blocked.SetResult();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["idle 0", "idle 1", "idle 2", "blocked", "a", "b"], socket.Frames);
        Assert.Equal((WebSocketCloseStatus)4001, socket.ClosedWith);
    }

    [Fact]
    public async Task A_connection_still_reading_its_room_list_gets_its_own_leave_live_and_is_not_subscribed_after()
    {
        // The race CI saw: hello is sent at registration, the room list is read after it; a leave committed in
        // between must still reach the leaving user's new socket, and the room must not be subscribed afterwards.
        var registry = new ConnectionRegistry(new Lime.Server.Diagnostics.LimeMetrics());
        var socket = new RecordingWebSocket();
        var connection = new ClientConnection(socket, userId: 7, deviceId: 1, queueFrames: 100);
        var writer = connection.RunWriterAsync();
        registry.Add(connection);

        registry.Deliver(new EventDto("e1", Room: 5, Seq: 2, Kind: EventKinds.MemberLeft, Sender: 7, Ts: 0, Users: [7]));
        registry.SubscribeInitial(connection, [5]); // read before the leave committed
        registry.Deliver(new EventDto("e2", Room: 5, Seq: 3, Kind: EventKinds.Message, Sender: 8, Ts: 0, Text: "after"));

        await WaitUntilAsync(() => socket.Frames.Count >= 1);
        connection.Close(1000, "", TimeSpan.FromSeconds(5));
        await writer.WaitAsync(TimeSpan.FromSeconds(10));

        var frame = Assert.Single(socket.Frames);
        Assert.Contains("\"member_left\"", frame, StringComparison.Ordinal);
        Assert.DoesNotContain("after", frame, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(5);
        }
    }

    /// <summary>Records every message sent (split back into frames at '\n'); a send can be held until released.</summary>
    private sealed class RecordingWebSocket : WebSocket
    {
        private readonly Lock _lock = new();
        private WebSocketState _state = WebSocketState.Open;
        private int _sendsStarted;

        public List<string> Frames { get; } = [];

        public List<int> MessageLengths { get; } = [];

        public TimeSpan SendDelay { get; init; }

        public TaskCompletionSource? Blocked { get; set; }

        public int SendsStarted => Volatile.Read(ref _sendsStarted);

        public WebSocketCloseStatus? ClosedWith { get; private set; }

        public override WebSocketCloseStatus? CloseStatus => ClosedWith;

        public override string? CloseStatusDescription => null;

        public override WebSocketState State => _state;

        public override string? SubProtocol => null;

        public override void Abort() => _state = WebSocketState.Aborted;

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        {
            ClosedWith = closeStatus;
            _state = WebSocketState.CloseSent;
            return Task.CompletedTask;
        }

        public override void Dispose() => _state = WebSocketState.Closed;

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            new TaskCompletionSource<WebSocketReceiveResult>().Task;

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

        public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
        {
            Assert.True(endOfMessage);
            string text = Encoding.UTF8.GetString(buffer.Span); // copied now: the caller may reuse its buffer afterwards
            Interlocked.Increment(ref _sendsStarted);
            if (Blocked is { } blocked)
            {
                await blocked.Task;
            }
            else if (SendDelay > TimeSpan.Zero)
            {
                await Task.Delay(SendDelay, cancellationToken);
            }

            lock (_lock)
            {
                MessageLengths.Add(buffer.Length);
                Frames.AddRange(text.Split('\n'));
            }
        }
    }
}
