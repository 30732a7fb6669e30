using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public abstract class ReadStateTests(TestBackend backend) : IAsyncLifetime
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
    public async Task Fifty_members_marking_read_concurrently_keep_watermarks_monotonic_and_unread_counts_exact()
    {
        var sender = await _server.NewUserAsync("s");
        var members = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _server.NewUserAsync("m")));
        var room = await sender.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "readers", Members: members.Select(m => m.Id).ToArray()));
        var sockets = await Task.WhenAll(members.Select(m => m.ConnectAsync()));
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            long lastSeq = 1;
            var sending = Task.Run(async () =>
            {
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    var ack = await sender.Http.SendAsync(room.Id, new SendMessageRequest($"x{i}", $"news {i}"));
                    Interlocked.Exchange(ref lastSeq, ack.Seq);
                    await Task.Delay(5);
                }
            });

            var backwards = 0;
            var readers = members.Select((m, i) => Task.Run(async () =>
            {
                var random = new Random(i);
                long highest = 0;
                while (!stop.IsCancellationRequested)
                {
                    long target = random.NextInt64(0, Interlocked.Read(ref lastSeq) + 1);
                    var state = i % 2 == 0
                        ? (await sockets[i].MarkReadAsync(room.Id, target)).Seq
                        : (await m.Http.MarkReadAsync(room.Id, target)).ReadSeq;
                    if (state < highest)
                    {
                        Interlocked.Increment(ref backwards);
                    }

                    highest = Math.Max(highest, state);
                    Assert.True(state >= Math.Min(target, 1));
                }

                return highest;
            })).ToArray();

            var highestSeen = await Task.WhenAll(readers).Within(TimeSpan.FromSeconds(90));
            await sending.Within();
            Assert.Equal(0, backwards);

            var final = await sender.Http.GetRoomAsync(room.Id);
            for (int i = 0; i < members.Length; i++)
            {
                var sync = await members[i].Http.SyncAsync([new SyncCursor(room.Id, final.LastSeq)]);
                var mine = sync.Rooms.Single(r => r.Room.Id == room.Id);
                Assert.Equal(highestSeen[i], mine.ReadSeq);
                // Every event after seq 1 is a message from the sender, so unread = last seq - watermark.
                Assert.Equal(final.LastSeq - Math.Max(1, mine.ReadSeq), mine.UnreadCount);
            }
        }
        finally
        {
            await Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Reading_on_one_device_shows_live_on_the_users_other_device_and_on_room_mates()
    {
        var alice = await _server.NewUserAsync("a");
        var bob = await _server.NewUserAsync("b");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var ack = await alice.Http.SendAsync(room.Id, new SendMessageRequest("1", "read me"));

        var bobPhone = await bob.NewDeviceAsync("phone");
        await using var bobDesk = await bob.ConnectAsync();
        await using var bobMobile = await bobPhone.ConnectAsync();
        await using var aliceSocket = await alice.ConnectAsync();

        Assert.Equal(1, (await bob.Http.GetBadgeAsync()).TotalUnread);
        // hello comes before the socket is subscribed to its rooms (a client syncs after hello for what it missed);
        // a socket answers frames only once subscribed, so a pong means the read below reaches it live.
        await Task.WhenAll(bobMobile.PingAsync(), aliceSocket.PingAsync()).Within();
        var reply = await bobDesk.MarkReadAsync(room.Id, ack.Seq);
        Assert.Equal(ack.Seq, reply.Seq);

        foreach (var socket in new[] { bobMobile, aliceSocket })
        {
            var read = await ReadSignalAsync(socket, r => r.Room == room.Id && r.User == bob.Id);
            Assert.Equal(ack.Seq, read.Seq);
        }

        Assert.Equal(0, (await bob.Http.GetBadgeAsync()).TotalUnread);
        var readers = await alice.Http.GetReadersAsync(room.Id, ack.Seq);
        Assert.Equal([bob.Id], readers.ReadBy.Select(r => r.User));
        Assert.Equal(0, readers.UnreadBy);

        // Never backwards.
        var back = await bob.Http.MarkReadAsync(room.Id, 1);
        Assert.Equal(ack.Seq, back.ReadSeq);
    }

    [Fact]
    public async Task Unread_by_counts_members_who_have_not_read_and_typing_reaches_room_mates_throttled()
    {
        var owner = await _server.NewUserAsync("o");
        var others = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => _server.NewUserAsync("x")));
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "small", Members: others.Select(o => o.Id).ToArray()));
        var ack = await owner.Http.SendAsync(room.Id, new SendMessageRequest("1", "who read this?"));
        await others[0].Http.MarkReadAsync(room.Id, ack.Seq);
        var readers = await owner.Http.GetReadersAsync(room.Id, ack.Seq);
        Assert.Equal(2, readers.UnreadBy);
        Assert.Single(readers.ReadBy);

        await using var typist = await others[1].ConnectAsync();
        await using var watcher = await others[2].ConnectAsync();
        await Wait.UntilSubscribedAsync(owner, room.Id, watcher);
        await typist.TypingAsync(room.Id);
        await typist.TypingAsync(room.Id); // throttled: at most one per window
        var typing = await TypingSignalsAsync(watcher, TimeSpan.FromSeconds(2));
        Assert.Single(typing);
        Assert.Equal((room.Id, others[1].Id), (typing[0].Room, typing[0].User));
        Assert.True(typing[0].ExpiresInMs > 0);
    }

    [Fact]
    public async Task Large_rooms_get_no_typing_and_no_read_receipts_for_others()
    {
        await using var server = new LimeServer(Backend, new Dictionary<string, string?> { ["Lime:Rooms:LargeRoomMembers"] = "2" });
        var owner = await server.NewUserAsync("o");
        var a = await server.NewUserAsync("a");
        var b = await server.NewUserAsync("b");
        var channel = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "big", Members: [a.Id, b.Id]));
        var ack = await owner.Http.SendAsync(channel.Id, new SendMessageRequest("1", "hello"));
        await using var aSocket = await a.ConnectAsync();
        await using var bSocket = await b.ConnectAsync();

        await aSocket.TypingAsync(channel.Id);
        await aSocket.MarkReadAsync(channel.Id, ack.Seq);
        Assert.Empty(await TypingSignalsAsync(bSocket, TimeSpan.FromSeconds(1)));
        var sync = await b.Http.SyncAsync(null);
        Assert.Null(sync.Rooms.Single().Reads);
        var refused = await Assert.ThrowsAsync<LimeApiException>(() => owner.Http.GetReadersAsync(channel.Id, ack.Seq));
        Assert.Equal(ErrorCodes.Validation, refused.Code);
    }

    private static async Task<ReadFrame> ReadSignalAsync(LimeSocket socket, Func<ReadFrame, bool> match)
    {
        using var cts = new CancellationTokenSource(Wait.Default);
        while (true)
        {
            if (await socket.Signals.ReadAsync(cts.Token) is ReadFrame read && match(read))
            {
                return read;
            }
        }
    }

    private static async Task<List<TypingFrame>> TypingSignalsAsync(LimeSocket socket, TimeSpan window)
    {
        var list = new List<TypingFrame>();
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true)
            {
                if (await socket.Signals.ReadAsync(cts.Token) is TypingFrame t)
                {
                    list.Add(t);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return list;
        }
    }
}

public sealed class SqliteReadStateTests() : ReadStateTests(TestBackend.Sqlite);

public sealed class PostgresReadStateTests() : ReadStateTests(TestBackend.PostgresRedis);
