using Lime.Client;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Storage;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Contract;

/// <summary>
/// The behaviour every storage backend must have, exercised through the real HTTP/WebSocket API. One subclass per
/// backend (SQLite, PostgreSQL); both must pass the same tests.
/// </summary>
public abstract class StorageContractTests : IAsyncLifetime
{
    protected LimeServer Server { get; private set; } = null!;

    /// <summary>Why this backend's tests are skipped here (a developer machine without the service), or null.</summary>
    protected virtual string? SkipReason => null;

    /// <summary>Skips the running test when this backend's service is missing here (never on CI: see SkipReason).</summary>
    protected void SkipWhenUnavailable()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    /// <summary>Backend settings for the server under test.</summary>
    protected abstract Task<Dictionary<string, string?>> BackendSettingsAsync();

    public async ValueTask InitializeAsync() => Server = new LimeServer(await BackendSettingsAsync());

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    [Fact]
    public async Task Concurrent_senders_get_gap_free_seqs_and_history_returns_the_same_order()
    {
        SkipWhenUnavailable();
        var users = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Server.NewUserAsync("s")));
        var room = await users[0].Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "order", Members: users.Skip(1).Select(u => u.Id).ToArray()));
        var sockets = await Task.WhenAll(users.Select(u => u.ConnectAsync()));
        try
        {
            var receiving = Wait.ForEventsAsync(sockets[0].Events, 1000, e => e.Kind == EventKinds.Message);
            var acks = (await Task.WhenAll(sockets.Select((s, i) => Task.WhenAll(Enumerable.Range(0, 50).Select(n => s.SendMessageAsync(room.Id, $"{i}-{n}", $"m {i} {n}")))))).SelectMany(a => a).ToList();
            Assert.Equal(Enumerable.Range(2, 1000).Select(x => (long)x), acks.Select(a => a.Seq).Order());
            var live = await receiving;
            Assert.Equal(Enumerable.Range(2, 1000).Select(x => (long)x), live.Select(e => e.Seq));
            var page1 = await users[3].Http.GetHistoryAsync(room.Id, after: 1, limit: 200);
            Assert.Equal(live.Take(200).Select(e => (e.Id, e.Text)), page1.Events.Select(e => (e.Id, e.Text)));
        }
        finally
        {
            await Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Retries_with_one_client_message_id_store_one_message_and_get_one_ack()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var acks = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => alice.Http.SendAsync(room.Id, new SendMessageRequest("same", "once"))));
        Assert.Single(acks.Select(a => (a.Id, a.Seq)).Distinct());
        Assert.Single(acks, a => !a.Duplicate);
        Assert.Single((await bob.Http.GetHistoryAsync(room.Id)).Events, e => e.Kind == EventKinds.Message);
    }

    [Fact]
    public async Task A_burst_of_writes_folded_into_batches_gets_the_same_outcome_as_one_by_one()
    {
        // Several hundred writes queued at once: the writer folds them into a few commits (on PostgreSQL, runs of
        // messages go through whole-run statements). Every write must still get exactly the outcome it would get alone.
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var carol = await Server.NewUserAsync();
        long[] rooms =
        [
            (await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "burst-0", Members: [bob.Id]))).Id,
            (await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "burst-1", Members: [bob.Id]))).Id,
        ];
        var earlier = await alice.Http.SendAsync(rooms[1], new SendMessageRequest("pre", "sent before the burst"));
        var writer = Server.Services.GetRequiredService<IRoomWriter>();

        var writes = new List<(string Label, AppendMessage Write)>();
        for (int i = 0; i < 150; i++)
        {
            writes.Add(("ok", new AppendMessage(rooms[i % 2], alice.Id, $"a{i}", $"alice {i}", null)));
            writes.Add(("ok", new AppendMessage(rooms[i % 2], bob.Id, $"b{i}", $"bob {i}", i % 7 == 0 ? 1 : null)));
            if (i % 25 == 0)
            {
                writes.Add(("repeat", new AppendMessage(rooms[0], alice.Id, "a0", "alice 0", null)));
                writes.Add(("earlier", new AppendMessage(rooms[1], alice.Id, "pre", "sent before the burst", null)));
                writes.Add(("forbidden", new AppendMessage(rooms[i % 2], carol.Id, $"c{i}", "not a member", null)));
                writes.Add(("missing", new AppendMessage(long.MaxValue - i, alice.Id, $"x{i}", "no such room", null)));
                writes.Add(("bad-reply", new AppendMessage(rooms[i % 2], bob.Id, $"r{i}", "reply to the future", 1_000_000)));
            }
        }

        var outcomes = await Task.WhenAll(writes.Select(async w =>
        {
            try
            {
                return ((await writer.WriteAsync(w.Write)).Ack, (string?)null);
            }
            catch (LimeException e)
            {
                return ((AckDto?)null, e.Code);
            }
        }));

        var first = outcomes[0].Item1!; // alice's "a0": queued before its repeats, so it is the original
        var stored = new List<AckDto>();
        for (int i = 0; i < writes.Count; i++)
        {
            var (ack, code) = outcomes[i];
            switch (writes[i].Label)
            {
                case "ok":
                    Assert.Null(code);
                    Assert.False(ack!.Duplicate);
                    stored.Add(ack);
                    break;
                case "repeat":
                    Assert.True(ack!.Duplicate);
                    Assert.Equal((first.Id, first.Seq), (ack.Id, ack.Seq));
                    break;
                case "earlier":
                    Assert.True(ack!.Duplicate);
                    Assert.Equal((earlier.Id, earlier.Seq), (ack.Id, ack.Seq));
                    break;
                case "forbidden":
                    Assert.Equal(ErrorCodes.Forbidden, code);
                    break;
                case "missing":
                    Assert.Equal(ErrorCodes.NotFound, code);
                    break;
                default:
                    Assert.Equal(ErrorCodes.Validation, code);
                    break;
            }
        }

        var list = (await alice.Http.ListRoomsAsync()).Rooms;
        foreach (long room in rooms)
        {
            // Gap-free: room_created (1), in room 1 the earlier message (2), then exactly the acked burst messages.
            var events = (await alice.Http.GetHistoryAsync(room, after: 0, limit: 200)).Events;
            Assert.Equal(Enumerable.Range(1, events.Length).Select(x => (long)x), events.Select(e => e.Seq));
            var burst = events.Where(e => e.Seq > (room == rooms[1] ? 2 : 1)).ToList();
            Assert.Equal(stored.Where(a => a.Room == room).Select(a => (a.Id, a.Seq)).OrderBy(a => a.Seq), burst.Select(e => (e.Id, e.Seq)));
            Assert.DoesNotContain(events, e => e.Text is "not a member" or "no such room" or "reply to the future");
            Assert.All(burst.Where(e => e.ReplyTo is not null), e => Assert.Equal(1, e.ReplyTo));

            // The room row and the senders' read watermarks moved with the messages.
            var summary = list.Single(r => r.Room.Id == room);
            Assert.Equal(events[^1].Seq, summary.Room.LastSeq);
            long aliceLast = events.Last(e => e.Sender == alice.Id).Seq;
            Assert.Equal(aliceLast, summary.ReadSeq);
            Assert.Equal(events.Count(e => e.Seq > aliceLast && e.Sender != alice.Id && e.Kind == EventKinds.Message), summary.UnreadCount);
        }
    }

    [Fact]
    public async Task Concurrent_direct_room_creation_yields_one_room()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync();
        var bob = await Server.NewUserAsync();
        var rooms = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? alice.Http.CreateDirectAsync(bob.Id) : bob.Http.CreateDirectAsync(alice.Id)));
        Assert.Single(rooms.Select(r => r.Id).Distinct());
        Assert.Single((await alice.Http.GetHistoryAsync(rooms[0].Id)).Events, e => e.Kind == EventKinds.RoomCreated);
    }

    [Fact]
    public async Task Membership_and_roles_are_seqd_events_and_enforced()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var admin = await Server.NewUserAsync("a");
        var member = await Server.NewUserAsync("m");
        var late = await Server.NewUserAsync("l");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "team", Members: [admin.Id, member.Id]));
        await owner.Http.SetRoleAsync(room.Id, admin.Id, Roles.Admin);
        var denied = await Assert.ThrowsAsync<LimeApiException>(() => member.Http.AddMembersAsync(room.Id, late.Id));
        Assert.Equal(ErrorCodes.Forbidden, denied.Code);
        await admin.Http.AddMembersAsync(room.Id, late.Id);
        await admin.Http.RemoveMemberAsync(room.Id, member.Id);
        await owner.Http.LeaveAsync(room.Id);

        var history = await admin.Http.GetHistoryAsync(room.Id);
        Assert.Equal(
            [EventKinds.RoomCreated, EventKinds.RoleChanged, EventKinds.MembersAdded, EventKinds.MemberRemoved, EventKinds.MemberLeft, EventKinds.RoleChanged],
            history.Events.Select(e => e.Kind));
        Assert.Equal(Enumerable.Range(1, 6).Select(x => (long)x), history.Events.Select(e => e.Seq));
        var members = (await admin.Http.ListMembersAsync(room.Id)).Members;
        Assert.Equal(Roles.Owner, members.Single(m => m.UserId == admin.Id).Role);
        Assert.Equal(2, members.Length);
        Assert.Equal(2, (await admin.Http.GetRoomAsync(room.Id)).MemberCount);
    }

    [Fact]
    public async Task Room_list_history_paging_sync_and_read_state_agree()
    {
        SkipWhenUnavailable();
        var me = await Server.NewUserAsync("me");
        var peers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Server.NewUserAsync("p")));
        var rooms = new List<RoomDto>();
        foreach (var peer in peers)
        {
            var room = await peer.Http.CreateDirectAsync(me.Id);
            rooms.Add(room);
            for (int i = 0; i < 5; i++)
            {
                await peer.Http.SendAsync(room.Id, new SendMessageRequest($"{i}", $"hello {i}"));
            }
        }

        var list = await me.Http.ListRoomsAsync(limit: 2);
        Assert.Equal(rooms[2].Id, list.Rooms[0].Room.Id); // most recent activity first
        Assert.Equal(5, list.Rooms[0].UnreadCount);
        Assert.Equal("hello 4", list.Rooms[0].LastMessage!.Text);
        var rest = await me.Http.ListRoomsAsync(cursor: list.NextCursor);
        Assert.Equal(rooms[0].Id, rest.Rooms.Single().Room.Id);

        var back = await me.Http.GetHistoryAsync(rooms[0].Id, before: 6, limit: 2);
        Assert.Equal([4L, 5], back.Events.Select(e => e.Seq));
        Assert.True(back.HasMoreBefore);
        Assert.True(back.HasMoreAfter);
        var around = await me.Http.GetAroundAsync(rooms[0].Id, 3, limit: 3);
        Assert.Equal([2L, 3, 4], around.Events.Select(e => e.Seq));

        await me.Http.MarkReadAsync(rooms[0].Id, 4);
        Assert.Equal(4, (await me.Http.MarkReadAsync(rooms[0].Id, 2)).ReadSeq); // never backwards
        var sync = await me.Http.SyncAsync([new SyncCursor(rooms[0].Id, 3), new SyncCursor(999_999, 1)]);
        var first = sync.Rooms.Single(r => r.Room.Id == rooms[0].Id);
        Assert.Equal([4L, 5, 6], first.Events.Select(e => e.Seq));
        Assert.Equal(2, first.UnreadCount);
        Assert.Equal(4, first.ReadSeq);
        Assert.Equal([999_999L], sync.Left);
        Assert.Equal(12, sync.TotalUnread);
        Assert.Equal(12, (await me.Http.GetBadgeAsync()).TotalUnread);
    }

    [Fact]
    public async Task Accounts_devices_contacts_and_channel_search_behave_the_same()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var taken = await Assert.ThrowsAsync<LimeApiException>(() => new LimeHttpClient(Server.CreateClient())
            .RegisterAsync(new RegisterRequest(alice.Tokens.User.Username.ToUpperInvariant(), "correct horse battery")));
        Assert.Equal(ErrorCodes.Conflict, taken.Code);

        var refreshed = await alice.Http.RefreshAsync(alice.Tokens.RefreshToken);
        var replay = await Assert.ThrowsAsync<LimeApiException>(() => new LimeHttpClient(Server.CreateClient()).RefreshAsync(alice.Tokens.RefreshToken));
        Assert.Equal(ErrorCodes.Unauthenticated, replay.Code);
        Assert.Equal(alice.Tokens.DeviceId, refreshed.DeviceId);

        var bob = await Server.NewUserAsync("b");
        await alice.Http.AddContactAsync(bob.Id);
        await alice.Http.AddContactAsync(bob.Id);
        Assert.Equal([bob.Id], (await alice.Http.ListContactsAsync()).Select(c => c.UserId));

        string tag = Guid.NewGuid().ToString("N")[..6];
        foreach (string name in new[] { $"Ärger {tag}", $"ärmel {tag}", $"Apple {tag}" })
        {
            await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, name));
        }

        var found = await bob.Http.ListChannelsAsync("är");
        Assert.Equal(2, found.Channels.Count(c => c.Name!.EndsWith(tag, StringComparison.Ordinal)));
        await alice.Http.LogoutAsync();
        var gone = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.GetMeAsync());
        Assert.Equal(ErrorCodes.Unauthenticated, gone.Code);
    }

    [Fact]
    public async Task A_reused_refresh_token_logs_its_device_out_closes_its_socket_and_refuses_its_new_access_token()
    {
        SkipWhenUnavailable();
        var settings = await BackendSettingsAsync();
        settings["Lime:Auth:RefreshReuseGraceSeconds"] = "0"; // no allowance for two tabs refreshing at once
        await using var server = new LimeServer(settings);
        var alice = await server.NewUserAsync("a").Within();
        var otherDevice = await alice.NewDeviceAsync("tablet").Within();

        // A thief copied the refresh token and refreshed first; alice's app refreshes a few times more too.
        string stolen = alice.Tokens.RefreshToken;
        var thief = await new LimeHttpClient(server.CreateClient()).RefreshAsync(stolen).Within();
        var thiefLater = await new LimeHttpClient(server.CreateClient()).RefreshAsync(thief.RefreshToken).Within();
        var thiefHttp = new LimeHttpClient(server.CreateClient()) { AccessToken = thiefLater.AccessToken };
        await using var thiefSocket = await server.ConnectAsync(thiefLater.AccessToken).Within();

        // Alice's app presents the token it holds, spent by the thief two rotations ago: the whole device is logged out.
        var reused = await Assert.ThrowsAsync<LimeApiException>(() => new LimeHttpClient(server.CreateClient()).RefreshAsync(stolen).Within());
        Assert.Equal((401, ErrorCodes.Unauthenticated), (reused.Status, reused.Code));

        await thiefSocket.Completion.Within();
        Assert.Equal((CloseCodes.SessionRevoked, "refresh_reused"), (thiefSocket.CloseCode, thiefSocket.CloseDescription));
        var refused = await Assert.ThrowsAsync<LimeApiException>(() => thiefHttp.GetMeAsync().Within());
        Assert.Equal(401, refused.Status);
        var dead = await Assert.ThrowsAsync<LimeApiException>(() => new LimeHttpClient(server.CreateClient()).RefreshAsync(thiefLater.RefreshToken).Within());
        Assert.Equal(401, dead.Status);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.ConnectAsync(thiefLater.AccessToken).Within());

        // Other devices are untouched.
        Assert.Equal(alice.Id, (await otherDevice.Http.GetMeAsync().Within()).Id);
        var devices = await otherDevice.Http.ListDevicesAsync().Within();
        Assert.Equal([otherDevice.Tokens.DeviceId], devices.Select(d => d.Id));

        // A token that was never issued revokes nothing.
        var unknown = await Assert.ThrowsAsync<LimeApiException>(() => new LimeHttpClient(server.CreateClient()).RefreshAsync("never-issued").Within());
        Assert.Equal(401, unknown.Status);
        Assert.Equal(alice.Id, (await otherDevice.Http.GetMeAsync().Within()).Id);
    }
}

public sealed class SqliteStorageContractTests : StorageContractTests
{
    protected override Task<Dictionary<string, string?>> BackendSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Lime:Storage:Provider"] = "sqlite" });
}

public sealed class PostgresStorageContractTests : StorageContractTests
{
    protected override string? SkipReason => Services.PostgresBin is null && !Services.InCi
        ? "PostgreSQL is not installed (apt-get install postgresql); these tests are required on CI."
        : null;

    protected override async Task<Dictionary<string, string?>> BackendSettingsAsync()
    {
        if (SkipReason is not null)
        {
            return new Dictionary<string, string?>(); // every test skips itself
        }

        return new Dictionary<string, string?>
        {
            ["Lime:Storage:Provider"] = "postgres",
            ["Lime:Storage:PostgresConnectionString"] = await SharedPostgres.NewDatabaseAsync(),
        };
    }
}
