using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public abstract class CatchUpTests(TestBackend backend) : IAsyncLifetime
{
    /// <summary>The backend this run of the suite is on (one subclass per backend, at the end of the file).</summary>
    protected TestBackend Backend { get; } = backend;

    private readonly LimeServer _server = new(backend);

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(Backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_device_that_missed_a_thousand_messages_in_ten_rooms_gets_exactly_those_in_one_sync()
    {
        var me = await _server.NewUserAsync("me");
        var peers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => _server.NewUserAsync("p")));
        var rooms = await Task.WhenAll(peers.Select(p => p.Http.CreateDirectAsync(me.Id)));

        // The device is up to date, then goes away.
        var first = await me.Http.SyncAsync(null);
        var cursors = first.Rooms.Select(r => new SyncCursor(r.Room.Id, r.Room.LastSeq)).ToArray();
        Assert.Equal(10, cursors.Length);

        var sent = new Dictionary<long, List<AckDto>>();
        for (int i = 0; i < 10; i++)
        {
            sent[rooms[i].Id] = [];
            for (int n = 0; n < 100; n++)
            {
                sent[rooms[i].Id].Add(await peers[i].Http.SendAsync(rooms[i].Id, new SendMessageRequest($"{i}-{n}", $"missed {n}")));
            }
        }

        await using var socket = await me.ConnectAsync();
        var sync = await socket.SyncAsync(cursors).Within();

        Assert.Empty(sync.Left);
        Assert.Equal(1000, sync.TotalUnread);
        foreach (var room in sync.Rooms)
        {
            Assert.False(room.Snapshot);
            Assert.False(room.HasMore);
            Assert.Equal(sent[room.Room.Id].Select(a => a.Id), room.Events.Select(e => e.Id));
            Assert.Equal(sent[room.Room.Id].Select(a => a.Seq), room.Events.Select(e => e.Seq));
            Assert.Equal(100, room.UnreadCount);
        }

        Assert.Equal(1000, sync.Rooms.Sum(r => r.Events.Length));
    }

    [Fact]
    public async Task A_new_device_gets_snapshots_a_far_behind_room_gets_a_snapshot_and_left_rooms_are_named()
    {
        var me = await _server.NewUserAsync("me");
        var peer = await _server.NewUserAsync("p");
        var busy = await peer.Http.CreateDirectAsync(me.Id);
        var group = await peer.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "g", Members: [me.Id]));
        for (int n = 0; n < 30; n++)
        {
            await peer.Http.SendAsync(busy.Id, new SendMessageRequest($"m{n}", $"text {n}"));
        }

        var fresh = await me.Http.SyncAsync(null, limitPerRoom: 10);
        var busyRoom = fresh.Rooms.Single(r => r.Room.Id == busy.Id);
        Assert.True(busyRoom.Snapshot);
        Assert.Equal(Enumerable.Range(22, 10).Select(s => (long)s), busyRoom.Events.Select(e => e.Seq));
        Assert.Equal(30, busyRoom.UnreadCount);
        Assert.NotNull(busyRoom.Reads); // small room: per-member watermarks

        // Far behind (30 > limit 10) → snapshot; then leave the group → listed as left.
        await me.Http.LeaveAsync(group.Id);
        var behind = await me.Http.SyncAsync([new SyncCursor(busy.Id, 1), new SyncCursor(group.Id, 1)], limitPerRoom: 10);
        Assert.True(behind.Rooms.Single(r => r.Room.Id == busy.Id).Snapshot);
        Assert.Equal([group.Id], behind.Left);

        // Within the limit → exactly the missing events, has_more false; a smaller page → has_more true.
        var near = await me.Http.SyncAsync([new SyncCursor(busy.Id, 25)], limitPerRoom: 10);
        Assert.Equal([26L, 27, 28, 29, 30, 31], near.Rooms.Single().Events.Select(e => e.Seq));
        var paged = await me.Http.SyncAsync([new SyncCursor(busy.Id, 25)], limitPerRoom: 6);
        Assert.False(paged.Rooms.Single().HasMore);
        var partial = await me.Http.SyncAsync([new SyncCursor(busy.Id, 20)], limitPerRoom: 11);
        Assert.False(partial.Rooms.Single().Snapshot);
        Assert.Equal(11, partial.Rooms.Single().Events.Length);
        Assert.False(partial.Rooms.Single().HasMore);
    }

    [Fact]
    public async Task A_client_whose_socket_drops_a_hundred_times_during_a_stream_ends_with_exactly_the_rooms_history()
    {
        var reader = await _server.NewUserAsync("r");
        var writer = await _server.NewUserAsync("w");
        var room = await writer.Http.CreateDirectAsync(reader.Id);
        await using var writerSocket = await writer.ConnectAsync();

        await using var session = new LimeSession(_ => _server.ConnectAsync(reader.Tokens.AccessToken), TimeSpan.FromMilliseconds(50));
        session.Start();

        const int atLeast = 2000;
        int drops = 0;
        int sentCount = 0;
        var stream = Task.Run(async () =>
        {
            // Keeps sending until the drops are done (and at least 2,000 messages), so every drop hits a live stream.
            for (int i = 0; i < atLeast || (Volatile.Read(ref drops) < 100 && i < 100_000); i++, sentCount++)
            {
                await writerSocket.SendMessageAsync(room.Id, $"s{i}", $"message {i}");
                if (i % 10 == 0)
                {
                    await Task.Delay(1);
                }
            }
        });

        // Cut the reader's connection 100 times while the stream runs.
        LimeSocket? lastDropped = null;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (drops < 100 && DateTime.UtcNow < deadline)
        {
            if (session.State == SessionState.Live && session.CurrentSocket is { } socket && socket != lastDropped)
            {
                socket.Abort();
                lastDropped = socket;
                Interlocked.Increment(ref drops);
            }

            await Task.Delay(5);
        }

        await stream.Within(TimeSpan.FromMinutes(2));
        Assert.Equal(100, drops);

        // Once live again, the session converges on the room's history.
        var history = new List<EventDto>();
        long after = 0;
        HistoryPage page;
        do
        {
            page = await reader.Http.GetHistoryAsync(room.Id, after: after, limit: 200);
            history.AddRange(page.Events);
            after = page.Events.Length > 0 ? page.Events[^1].Seq : after;
        }
        while (page.HasMoreAfter);

        var converge = DateTime.UtcNow.AddSeconds(30);
        while (session.Timeline(room.Id).Count < history.Count && DateTime.UtcNow < converge)
        {
            await Task.Delay(50);
        }

        var timeline = session.Timeline(room.Id);
        Assert.Equal(history.Select(e => (e.Seq, e.Id)), timeline.Select(e => (e.Seq, e.Id)));
        Assert.Equal(sentCount + 1, timeline.Count); // room_created + every message: 0 missing, 0 duplicates
        Assert.Equal(timeline.Count, timeline.Select(e => e.Id).Distinct().Count());
        Assert.True(session.Connections >= 100);
    }

    [Fact]
    public async Task Messages_sent_through_a_session_while_its_connection_keeps_dropping_are_stored_once_each()
    {
        var me = await _server.NewUserAsync("me");
        var peer = await _server.NewUserAsync("p");
        var room = await me.Http.CreateDirectAsync(peer.Id);
        await using var session = new LimeSession(_ => _server.ConnectAsync(me.Tokens.AccessToken), TimeSpan.FromMilliseconds(50));
        session.Start();

        var sends = new List<Task<AckDto>>();
        for (int i = 0; i < 200; i++)
        {
            sends.Add(session.SendAsync(room.Id, $"outbox {i}"));
            if (i % 20 == 0)
            {
                session.CurrentSocket?.Abort();
            }
        }

        var acks = await Task.WhenAll(sends).Within(TimeSpan.FromMinutes(1));
        Assert.Equal(200, acks.Select(a => a.Seq).Distinct().Count());
        var history = await peer.Http.GetHistoryAsync(room.Id, limit: 200);
        var texts = history.Events.Where(e => e.Kind == EventKinds.Message).Select(e => e.Text).ToList();
        Assert.Equal(200, texts.Count);
        Assert.Equal(200, texts.Distinct().Count());
    }
}

public sealed class SqliteCatchUpTests() : CatchUpTests(TestBackend.Sqlite);

public sealed class PostgresCatchUpTests() : CatchUpTests(TestBackend.PostgresRedis);
