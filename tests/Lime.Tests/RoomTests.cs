using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public abstract class RoomTests(TestBackend backend) : IAsyncLifetime
{
    /// <summary>The backend this run of the suite is on (one subclass per backend, at the end of the file).</summary>
    protected TestBackend Backend { get; } = backend;

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);
    private readonly LimeServer _server = new(backend);

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(Backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_direct_room_is_get_or_create_the_same_room_from_both_sides_with_one_room_created_event()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();

        // Status codes through the raw HTTP stack: 201 the first time, 200 after.
        Assert.Equal(HttpStatusCode.Created, await PostDirectStatusAsync(alice, bob.Id));
        Assert.Equal(HttpStatusCode.OK, await PostDirectStatusAsync(alice, bob.Id));
        Assert.Equal(HttpStatusCode.OK, await PostDirectStatusAsync(bob, alice.Id));

        var fromAlice = await alice.Http.CreateDirectAsync(bob.Id).Within();
        var fromBob = await bob.Http.CreateDirectAsync(alice.Id).Within();
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            (i % 2 == 0 ? alice.Http.CreateDirectAsync(bob.Id) : bob.Http.CreateDirectAsync(alice.Id)))).Within();

        Assert.Equal(fromAlice.Id, fromBob.Id);
        Assert.All(concurrent, r => Assert.Equal(fromAlice.Id, r.Id));
        Assert.Equal((RoomKinds.Direct, bob.Id, 2), (fromAlice.Kind, fromAlice.Peer, fromAlice.MemberCount));
        Assert.Equal(alice.Id, fromBob.Peer);

        var history = await alice.Http.GetHistoryAsync(fromAlice.Id).Within();
        var created = Assert.Single(history.Events);
        Assert.Equal((EventKinds.RoomCreated, 1L), (created.Kind, created.Seq));
        Assert.Equal(new[] { alice.Id, bob.Id }, created.Users); // the creator first
        Assert.Null(created.Name);

        var aliceRooms = await alice.Http.ListRoomsAsync().Within();
        Assert.Single(aliceRooms.Rooms, r => r.Room.Kind == RoomKinds.Direct);
    }

    [Fact]
    public async Task A_direct_room_with_yourself_or_an_unknown_user_is_refused_and_creates_nothing()
    {
        var alice = await _server.NewUserAsync().Within();

        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.CreateDirectAsync(alice.Id));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.CreateDirectAsync(long.MaxValue));

        Assert.Empty((await alice.Http.ListRoomsAsync().Within()).Rooms);
    }

    [Fact]
    public async Task Roles_decide_who_may_invite_remove_and_promote_and_nobody_removes_the_owner()
    {
        var owner = await _server.NewUserAsync("own").Within();
        var admin = await _server.NewUserAsync("adm").Within();
        var admin2 = await _server.NewUserAsync("adm").Within();
        var member = await _server.NewUserAsync("mem").Within();
        var newcomer = await _server.NewUserAsync("new").Within();
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "team", "our topic", [admin.Id, admin2.Id, member.Id, member.Id, owner.Id])).Within();
        Assert.Equal((RoomKinds.Group, "team", "our topic", Roles.Owner, 4), (room.Kind, room.Name, room.Topic, room.MyRole, room.MemberCount));

        // Only the owner changes roles.
        await AssertApiError(403, ErrorCodes.Forbidden, () => member.Http.SetRoleAsync(room.Id, admin.Id, Roles.Admin));
        await owner.Http.SetRoleAsync(room.Id, admin.Id, Roles.Admin).Within();
        await owner.Http.SetRoleAsync(room.Id, admin2.Id, Roles.Admin).Within();
        await AssertApiError(403, ErrorCodes.Forbidden, () => admin.Http.SetRoleAsync(room.Id, member.Id, Roles.Admin));
        await AssertApiError(400, ErrorCodes.Validation, () => owner.Http.SetRoleAsync(room.Id, member.Id, Roles.Owner));
        await AssertApiError(400, ErrorCodes.Validation, () => owner.Http.SetRoleAsync(room.Id, owner.Id, Roles.Admin));
        Assert.Equal(Roles.Admin, (await admin.Http.GetRoomAsync(room.Id).Within()).MyRole);

        // A member cannot invite; an admin can.
        await AssertApiError(403, ErrorCodes.Forbidden, () => member.Http.AddMembersAsync(room.Id, newcomer.Id));
        Assert.DoesNotContain(await MemberIdsAsync(owner, room.Id), id => id == newcomer.Id);
        await admin.Http.AddMembersAsync(room.Id, newcomer.Id, newcomer.Id, member.Id).Within();
        Assert.Equal(Roles.Member, (await RolesAsync(owner, room.Id))[newcomer.Id]);
        var added = (await owner.Http.GetHistoryAsync(room.Id, limit: 1).Within()).Events.Single();
        Assert.Equal((EventKinds.MembersAdded, admin.Id), (added.Kind, added.Sender));
        Assert.Equal(new[] { newcomer.Id }, added.Users); // only the users actually added

        // No-ops leave no event: everyone already a member, a role set to what it is.
        await admin.Http.AddMembersAsync(room.Id, member.Id, newcomer.Id).Within();
        await owner.Http.SetRoleAsync(room.Id, admin2.Id, Roles.Admin).Within();
        Assert.Equal(added.Seq, (await owner.Http.GetRoomAsync(room.Id).Within()).LastSeq);

        // A member cannot remove; an admin removes members but not another admin; nobody removes the owner.
        await AssertApiError(403, ErrorCodes.Forbidden, () => member.Http.RemoveMemberAsync(room.Id, newcomer.Id));
        await AssertApiError(403, ErrorCodes.Forbidden, () => admin.Http.RemoveMemberAsync(room.Id, admin2.Id));
        await AssertApiError(403, ErrorCodes.Forbidden, () => admin.Http.RemoveMemberAsync(room.Id, owner.Id));
        await AssertApiError(403, ErrorCodes.Forbidden, () => admin2.Http.RemoveMemberAsync(room.Id, owner.Id));
        await AssertApiError(403, ErrorCodes.Forbidden, () => member.Http.RemoveMemberAsync(room.Id, owner.Id));
        Assert.Equal(5, (await MemberIdsAsync(owner, room.Id)).Length);

        await admin.Http.RemoveMemberAsync(room.Id, newcomer.Id).Within();
        await owner.Http.RemoveMemberAsync(room.Id, admin2.Id).Within();

        // Demoted, the admin loses its powers.
        await owner.Http.SetRoleAsync(room.Id, admin.Id, Roles.Member).Within();
        await AssertApiError(403, ErrorCodes.Forbidden, () => admin.Http.AddMembersAsync(room.Id, newcomer.Id));

        // Removing yourself is leaving, whatever your role.
        await member.Http.RemoveMemberAsync(room.Id, member.Id).Within();

        var roles = await RolesAsync(owner, room.Id);
        Assert.Equal(new Dictionary<long, string> { [owner.Id] = Roles.Owner, [admin.Id] = Roles.Member }, roles);
        Assert.Equal(2, (await owner.Http.GetRoomAsync(room.Id).Within()).MemberCount);

        // Every accepted change is one event; none of the refused ones left a trace.
        var kinds = (await owner.Http.GetHistoryAsync(room.Id).Within()).Events.Select(e => e.Kind);
        Assert.Equal(
            new[]
            {
                EventKinds.RoomCreated, EventKinds.RoleChanged, EventKinds.RoleChanged, EventKinds.MembersAdded,
                EventKinds.MemberRemoved, EventKinds.MemberRemoved, EventKinds.RoleChanged, EventKinds.MemberLeft,
            },
            kinds);
    }

    [Fact]
    public async Task When_the_owner_leaves_the_admin_who_joined_first_becomes_owner()
    {
        var owner = await _server.NewUserAsync("own").Within();
        var early = await _server.NewUserAsync("early").Within(); // lower user id, but joins later
        var plain = await _server.NewUserAsync("plain").Within();
        var oldest = await _server.NewUserAsync("oldest").Within();
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "succession", Members: [plain.Id, oldest.Id])).Within();
        await owner.Http.AddMembersAsync(room.Id, early.Id).Within();
        await owner.Http.SetRoleAsync(room.Id, early.Id, Roles.Admin).Within(); // promoted first
        await owner.Http.SetRoleAsync(room.Id, oldest.Id, Roles.Admin).Within();
        await using var plainSocket = await plain.ConnectAsync().Within();
        await using var ownerSocket = await owner.ConnectAsync().Within();
        long before = (await plain.Http.GetRoomAsync(room.Id).Within()).LastSeq;

        await owner.Http.LeaveAsync(room.Id).Within();

        var live = await Wait.ForEventsAsync(plainSocket.Events, 2, e => e.Room == room.Id && e.Seq > before);
        var history = (await plain.Http.GetHistoryAsync(room.Id).Within()).Events;
        var left = history[^2];
        var promoted = history[^1];
        Assert.Equal((EventKinds.MemberLeft, owner.Id), (left.Kind, Assert.Single(left.Users!)));
        Assert.Equal((EventKinds.RoleChanged, Roles.Owner, oldest.Id), (promoted.Kind, promoted.Role, Assert.Single(promoted.Users!)));
        Assert.Equal((owner.Id, owner.Id), (left.Sender, promoted.Sender));
        Assert.Equal(left.Seq + 1, promoted.Seq);
        Assert.Equal(new[] { left.Id, promoted.Id }, live.Select(e => e.Id));

        // The leaver hears its own departure, and nothing after it (not even the succession).
        var ownerLive = await Wait.ForEventsAsync(ownerSocket.Events, 1, e => e.Room == room.Id && e.Seq > before);
        Assert.Equal(left.Id, ownerLive[0].Id);
        Assert.Null(await Wait.ForAnyEventAsync(ownerSocket.Events, Quiet, e => e.Room == room.Id));

        var roles = await RolesAsync(plain, room.Id);
        Assert.Equal(
            new Dictionary<long, string> { [early.Id] = Roles.Admin, [plain.Id] = Roles.Member, [oldest.Id] = Roles.Owner },
            roles);
        Assert.Equal(Roles.Owner, (await oldest.Http.GetRoomAsync(room.Id).Within()).MyRole);
        await AssertApiError(403, ErrorCodes.Forbidden, () => owner.Http.GetHistoryAsync(room.Id));

        // The new owner has the owner's powers.
        await oldest.Http.SetRoleAsync(room.Id, early.Id, Roles.Member).Within();
        await oldest.Http.RemoveMemberAsync(room.Id, early.Id).Within();
    }

    [Fact]
    public async Task When_an_owner_without_admins_leaves_the_longest_standing_member_becomes_owner()
    {
        var owner = await _server.NewUserAsync("own").Within();
        var later = await _server.NewUserAsync("later").Within();
        var first = await _server.NewUserAsync("first").Within();
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "heirs", Members: [first.Id])).Within();
        await owner.Http.AddMembersAsync(room.Id, later.Id).Within();

        await owner.Http.LeaveAsync(room.Id).Within();

        var last = (await first.Http.GetHistoryAsync(room.Id).Within()).Events[^1];
        Assert.Equal((EventKinds.RoleChanged, Roles.Owner, first.Id), (last.Kind, last.Role, Assert.Single(last.Users!)));
        Assert.Equal(Roles.Owner, (await RolesAsync(first, room.Id))[first.Id]);
    }

    [Fact]
    public async Task An_owner_who_is_the_last_member_simply_leaves()
    {
        var owner = await _server.NewUserAsync("own").Within();
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "solo")).Within();
        await using var socket = await owner.ConnectAsync().Within();

        await owner.Http.LeaveAsync(room.Id).Within();

        var left = (await Wait.ForEventsAsync(socket.Events, 1, e => e.Room == room.Id && e.Seq > 1)).Single();
        Assert.Equal((EventKinds.MemberLeft, 2L, owner.Id), (left.Kind, left.Seq, Assert.Single(left.Users!)));
        Assert.Null(await Wait.ForAnyEventAsync(socket.Events, Quiet, e => e.Room == room.Id));
        Assert.Empty((await owner.Http.ListRoomsAsync().Within()).Rooms);
        await AssertApiError(403, ErrorCodes.Forbidden, () => owner.Http.GetRoomAsync(room.Id));
    }

    [Fact]
    public async Task Membership_changes_are_seqd_events_in_history_and_live_and_socket_subscriptions_follow_them()
    {
        var owner = await _server.NewUserAsync("own").Within();
        var bob = await _server.NewUserAsync("bob").Within();
        var carol = await _server.NewUserAsync("carol").Within();
        await using var ownerSocket = await owner.ConnectAsync().Within();
        await using var bobSocket = await bob.ConnectAsync().Within();
        await using var carolSocket = await carol.ConnectAsync().Within();

        // Created while everyone is connected: bob's open socket is subscribed by room_created.
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "live", Members: [bob.Id])).Within();
        var hello = await owner.Http.SendAsync(room.Id, new SendMessageRequest("m1", "before carol")).Within();
        var bobFirst = await Wait.ForEventsAsync(bobSocket.Events, 2, e => e.Room == room.Id);
        Assert.Equal(new[] { (EventKinds.RoomCreated, 1L), (EventKinds.Message, hello.Seq) }, bobFirst.Select(e => (e.Kind, e.Seq)));
        Assert.Null(await Wait.ForAnyEventAsync(carolSocket.Events, Quiet, e => e.Room == room.Id));

        // Carol is added: her already-open socket gets members_added and then the room's messages.
        await owner.Http.AddMembersAsync(room.Id, carol.Id).Within();
        var toCarol = await owner.Http.SendAsync(room.Id, new SendMessageRequest("m2", "welcome carol")).Within();
        var carolGot = await Wait.ForEventsAsync(carolSocket.Events, 2, e => e.Room == room.Id);
        Assert.Equal((EventKinds.MembersAdded, carol.Id), (carolGot[0].Kind, Assert.Single(carolGot[0].Users!)));
        Assert.Equal((toCarol.Id, "welcome carol"), (carolGot[1].Id, carolGot[1].Text));

        await owner.Http.SetRoleAsync(room.Id, carol.Id, Roles.Admin).Within();

        // Bob is removed: he is told, then hears nothing more from the room.
        await carol.Http.RemoveMemberAsync(room.Id, bob.Id).Within();
        var bobLast = await Wait.ForEventsAsync(bobSocket.Events, 4, e => e.Room == room.Id);
        Assert.Equal(
            new[] { EventKinds.MembersAdded, EventKinds.Message, EventKinds.RoleChanged, EventKinds.MemberRemoved },
            bobLast.Select(e => e.Kind));
        await owner.Http.SendAsync(room.Id, new SendMessageRequest("m3", "bob is gone")).Within();

        // Carol leaves: the owner sees it, and carol hears nothing after.
        await carol.Http.LeaveAsync(room.Id).Within();
        await owner.Http.SendAsync(room.Id, new SendMessageRequest("m4", "carol is gone")).Within();

        var history = (await owner.Http.GetHistoryAsync(room.Id).Within()).Events;
        Assert.Equal(Enumerable.Range(1, history.Length).Select(i => (long)i), history.Select(e => e.Seq));
        Assert.Equal(
            new[]
            {
                (EventKinds.RoomCreated, owner.Id), (EventKinds.Message, owner.Id), (EventKinds.MembersAdded, owner.Id),
                (EventKinds.Message, owner.Id), (EventKinds.RoleChanged, owner.Id), (EventKinds.MemberRemoved, carol.Id),
                (EventKinds.Message, owner.Id), (EventKinds.MemberLeft, carol.Id), (EventKinds.Message, owner.Id),
            },
            history.Select(e => (e.Kind, e.Sender)));
        Assert.Equal(new[] { owner.Id, bob.Id }.Order(), history[0].Users!.Order());
        Assert.Equal("live", history[0].Name);
        Assert.Equal(carol.Id, Assert.Single(history[2].Users!));
        Assert.Equal((carol.Id, Roles.Admin), (Assert.Single(history[4].Users!), history[4].Role));
        Assert.Equal(bob.Id, Assert.Single(history[5].Users!));
        Assert.Equal(carol.Id, Assert.Single(history[7].Users!));

        // The owner's socket saw the whole room live, in the same order with the same ids.
        var ownerLive = await Wait.ForEventsAsync(ownerSocket.Events, history.Length, e => e.Room == room.Id);
        Assert.Equal(history.Select(e => (e.Id, e.Seq)), ownerLive.Select(e => (e.Id, e.Seq)));

        var carolRest = await Wait.ForEventsAsync(carolSocket.Events, 4, e => e.Room == room.Id);
        Assert.Equal(
            new[] { EventKinds.RoleChanged, EventKinds.MemberRemoved, EventKinds.Message, EventKinds.MemberLeft },
            carolRest.Select(e => e.Kind));
        Assert.Null(await Wait.ForAnyEventAsync(bobSocket.Events, Quiet, e => e.Room == room.Id));
        Assert.Null(await Wait.ForAnyEventAsync(carolSocket.Events, Quiet, e => e.Room == room.Id));

        // Former members are outsiders now.
        await AssertApiError(403, ErrorCodes.Forbidden, () => bob.Http.SendAsync(room.Id, new SendMessageRequest("b", "let me back")));
        var socketSend = await Assert.ThrowsAsync<LimeSocketException>(() => carolSocket.SendMessageAsync(room.Id, "c", "me too").Within());
        Assert.Equal(ErrorCodes.Forbidden, socketSend.Code);
    }

    [Fact]
    public async Task A_direct_room_cannot_be_left_or_have_members_added()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();
        var carol = await _server.NewUserAsync().Within();
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();

        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.LeaveAsync(room.Id));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.AddMembersAsync(room.Id, carol.Id));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.RemoveMemberAsync(room.Id, bob.Id));

        Assert.Equal(new[] { alice.Id, bob.Id }.Order(), await MemberIdsAsync(bob, room.Id));
        Assert.Single((await bob.Http.GetHistoryAsync(room.Id).Within()).Events);
    }

    [Fact]
    public async Task Open_channels_are_found_by_case_insensitive_name_prefix_page_by_page()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();
        string prefix = "zq" + Guid.NewGuid().ToString("N")[..6];
        string upper = prefix.ToUpperInvariant();
        string[] names = [upper + "Alpha", prefix + "alpha-two", upper + "BETA", prefix + "gamma", upper + "gAmMa"];
        var created = new List<RoomDto>();
        foreach (string name in names)
        {
            created.Add(await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, name, "about " + name)).Within());
        }

        await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, upper + "private group")).Within();
        await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "other" + prefix)).Within();

        // Paged 2 at a time, searched in the other case: every channel once, by lower-case name then id.
        var found = new List<RoomDto>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await bob.Http.ListChannelsAsync(upper, cursor, 2).Within();
            Assert.True(page.Channels.Length <= 2);
            found.AddRange(page.Channels);
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        var expected = created.OrderBy(r => r.Name!.ToLowerInvariant(), StringComparer.Ordinal).ThenBy(r => r.Id).Select(r => r.Id);
        Assert.Equal(expected, found.Select(r => r.Id));
        Assert.All(found, r => Assert.Equal((RoomKinds.Channel, (string?)null), (r.Kind, r.MyRole)));

        var alphas = await bob.Http.ListChannelsAsync(prefix + "ALPHA").Within();
        Assert.Equal(new[] { created[0].Id, created[1].Id }, alphas.Channels.Select(r => r.Id));
        Assert.Null(alphas.NextCursor);
        var gammas = await bob.Http.ListChannelsAsync(upper + "gamma").Within();
        Assert.Equal(new[] { created[3].Id, created[4].Id }, gammas.Channels.Select(r => r.Id));
        Assert.Empty((await bob.Http.ListChannelsAsync(prefix + "delta").Within()).Channels);

        // Case folding is not ASCII-only.
        var accented = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, prefix + "ÉCOLE Été")).Within();
        var cyrillic = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, prefix + "Привет")).Within();
        Assert.Equal(accented.Id, Assert.Single((await bob.Http.ListChannelsAsync(prefix + "école été").Within()).Channels).Id);
        Assert.Equal(cyrillic.Id, Assert.Single((await bob.Http.ListChannelsAsync(upper + "ПРИВ").Within()).Channels).Id);
    }

    [Fact]
    public async Task Joining_and_leaving_an_open_channel_are_events_and_a_group_cannot_be_joined()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();
        var carol = await _server.NewUserAsync().Within();
        var channel = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "lobby" + Guid.NewGuid().ToString("N")[..6])).Within();
        var group = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "closed", Members: [carol.Id])).Within();
        await using var bobSocket = await bob.ConnectAsync().Within();

        // A channel is visible before joining; its history is not.
        Assert.Null((await bob.Http.GetRoomAsync(channel.Id).Within()).MyRole);
        await AssertApiError(403, ErrorCodes.Forbidden, () => bob.Http.SendAsync(channel.Id, new SendMessageRequest("early", "not yet")));
        await AssertApiError(403, ErrorCodes.Forbidden, () => bob.Http.GetHistoryAsync(channel.Id));
        await AssertApiError(403, ErrorCodes.Forbidden, () => bob.Http.ListMembersAsync(channel.Id));

        var joined = await bob.Http.JoinAsync(channel.Id).Within();
        Assert.False(joined.Pending);
        Assert.Equal((channel.Id, Roles.Member, 2), (joined.Room!.Id, joined.Room.MyRole, joined.Room.MemberCount));
        var joinedAgain = await bob.Http.JoinAsync(channel.Id).Within(); // already a member: no new event
        Assert.Equal(2, joinedAgain.Room!.MemberCount);

        var ack = await alice.Http.SendAsync(channel.Id, new SendMessageRequest("a1", "hello joiners")).Within();
        var bobGot = await Wait.ForEventsAsync(bobSocket.Events, 2, e => e.Room == channel.Id);
        Assert.Equal((EventKinds.MembersJoined, bob.Id, bob.Id), (bobGot[0].Kind, bobGot[0].Sender, Assert.Single(bobGot[0].Users!)));
        Assert.Equal(ack.Id, bobGot[1].Id);

        await bob.Http.LeaveAsync(channel.Id).Within();
        await alice.Http.SendAsync(channel.Id, new SendMessageRequest("a2", "after bob left")).Within();
        var leftEvent = await Wait.ForEventsAsync(bobSocket.Events, 1, e => e.Room == channel.Id);
        Assert.Equal(EventKinds.MemberLeft, leftEvent[0].Kind);
        Assert.Null(await Wait.ForAnyEventAsync(bobSocket.Events, Quiet, e => e.Room == channel.Id));

        var history = (await alice.Http.GetHistoryAsync(channel.Id).Within()).Events;
        Assert.Equal(
            new[] { EventKinds.RoomCreated, EventKinds.MembersJoined, EventKinds.Message, EventKinds.MemberLeft, EventKinds.Message },
            history.Select(e => e.Kind));
        Assert.Equal(new[] { alice.Id }, await MemberIdsAsync(alice, channel.Id));

        // A group needs an invitation; nothing changes.
        await AssertApiError(403, ErrorCodes.Forbidden, () => bob.Http.JoinAsync(group.Id));
        await AssertApiError(404, ErrorCodes.NotFound, () => bob.Http.JoinAsync(long.MaxValue));
        Assert.Equal(new[] { alice.Id, carol.Id }.Order(), await MemberIdsAsync(alice, group.Id));
        Assert.Single((await alice.Http.GetHistoryAsync(group.Id).Within()).Events);
    }

    [Fact]
    public async Task The_room_list_is_ordered_by_last_activity_with_preview_last_seq_and_unread_count_and_pages()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();
        var carol = await _server.NewUserAsync().Within();
        var withBob = await alice.Http.CreateDirectAsync(bob.Id).Within();
        var group = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "trio", Members: [bob.Id, carol.Id])).Within();
        var withCarol = await alice.Http.CreateDirectAsync(carol.Id).Within();

        // Activity order (oldest first): withCarol, withBob, group. Pauses keep the millisecond timestamps apart.
        await carol.Http.SendAsync(withCarol.Id, new SendMessageRequest("c1", "hi alice, carol here")).Within();
        await Task.Delay(20);
        await bob.Http.SendAsync(withBob.Id, new SendMessageRequest("b1", "first from bob")).Within();
        await bob.Http.SendAsync(withBob.Id, new SendMessageRequest("b2", "second from bob")).Within();
        await Task.Delay(20);
        await bob.Http.SendAsync(group.Id, new SendMessageRequest("g1", "group hello from bob")).Within();
        await alice.Http.SendAsync(group.Id, new SendMessageRequest("g2", "alice answers the group")).Within();

        var list = await alice.Http.ListRoomsAsync().Within();
        Assert.Equal(new[] { group.Id, withBob.Id, withCarol.Id }, list.Rooms.Select(r => r.Room.Id));
        Assert.Null(list.NextCursor);
        var (g, b, c) = (list.Rooms[0], list.Rooms[1], list.Rooms[2]);

        // Alice's own message is the group's preview, and sending marked everything before it read.
        Assert.Equal(("alice answers the group", alice.Id, 3L, 3L, 3L, 0L), (g.LastMessage!.Text, g.LastMessage.Sender, g.LastMessage.Seq, g.Room.LastSeq, g.ReadSeq, g.UnreadCount));
        Assert.Equal(("second from bob", 3L, 1L, 2L), (b.LastMessage!.Text, b.Room.LastSeq, b.ReadSeq, b.UnreadCount));
        Assert.Equal(("hi alice, carol here", 2L, 1L), (c.LastMessage!.Text, c.Room.LastSeq, c.UnreadCount));
        Assert.Equal(Roles.Owner, g.Room.MyRole);
        Assert.Equal(bob.Id, b.Room.Peer);

        // Bob's view: alice's group message is unread, his own are not.
        var bobList = await bob.Http.ListRoomsAsync().Within();
        Assert.Equal(new[] { group.Id, withBob.Id }, bobList.Rooms.Select(r => r.Room.Id));
        Assert.Equal((1L, 2L), (bobList.Rooms[0].UnreadCount, bobList.Rooms[0].ReadSeq));
        Assert.Equal((0L, 3L), (bobList.Rooms[1].UnreadCount, bobList.Rooms[1].ReadSeq));

        // Paged two at a time: same rooms, same order, then no cursor.
        var first = await alice.Http.ListRoomsAsync(limit: 2).Within();
        Assert.Equal(new[] { group.Id, withBob.Id }, first.Rooms.Select(r => r.Room.Id));
        Assert.NotNull(first.NextCursor);
        var second = await alice.Http.ListRoomsAsync(first.NextCursor, 2).Within();
        Assert.Equal(new[] { withCarol.Id }, second.Rooms.Select(r => r.Room.Id));
        Assert.Null(second.NextCursor);

        // Answering carol moves that room to the top and clears its unread count.
        await Task.Delay(20);
        await alice.Http.SendAsync(withCarol.Id, new SendMessageRequest("a1", "hi carol")).Within();
        var after = await alice.Http.ListRoomsAsync().Within();
        Assert.Equal(new[] { withCarol.Id, group.Id, withBob.Id }, after.Rooms.Select(r => r.Room.Id));
        Assert.Equal(("hi carol", 0L, 3L), (after.Rooms[0].LastMessage!.Text, after.Rooms[0].UnreadCount, after.Rooms[0].ReadSeq));

        // Any event counts as activity; the preview is the newest message, cut to 200 characters.
        await Task.Delay(20);
        string longText = string.Concat(Enumerable.Repeat("가나다라마", 60)); // 300 characters
        await bob.Http.SendAsync(withBob.Id, new SendMessageRequest("b3", longText)).Within();
        await Task.Delay(20);
        await alice.Http.SetRoleAsync(group.Id, carol.Id, Roles.Admin).Within();
        var last = await alice.Http.ListRoomsAsync().Within();
        Assert.Equal(new[] { group.Id, withBob.Id, withCarol.Id }, last.Rooms.Select(r => r.Room.Id));
        Assert.Equal(("alice answers the group", 4L), (last.Rooms[0].LastMessage!.Text, last.Rooms[0].Room.LastSeq));
        Assert.Equal((longText[..200], 4L, 3L), (last.Rooms[1].LastMessage!.Text, last.Rooms[1].LastMessage!.Seq, last.Rooms[1].UnreadCount));
    }

    [Fact]
    public async Task History_pages_backward_forward_and_around_a_seq_with_correct_has_more_flags()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();
        for (int i = 2; i <= 31; i++)
        {
            await (i % 2 == 0 ? alice : bob).Http.SendAsync(room.Id, new SendMessageRequest($"m{i}", $"message {i}")).Within();
        }

        // seq 1 is room_created, 2..31 are messages.
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, limit: 10), 22, 31, true, false);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, before: 22, limit: 10), 12, 21, true, true);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, before: 6, limit: 10), 1, 5, false, true);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, before: 11, limit: 10), 1, 10, false, true);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, after: 0, limit: 10), 1, 10, false, true);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, after: 10, limit: 10), 11, 20, true, true);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, after: 25, limit: 10), 26, 31, true, false);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, after: 21, limit: 10), 22, 31, true, false);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, after: 5, before: 9), 6, 8, true, true);
        await AssertPage(bob.Http.GetHistoryAsync(room.Id, limit: 200), 1, 31, false, false);

        // Empty windows still say what lies on either side.
        var pastEnd = await bob.Http.GetHistoryAsync(room.Id, after: 31).Within();
        Assert.Equal((0, true, false), (pastEnd.Events.Length, pastEnd.HasMoreBefore, pastEnd.HasMoreAfter));
        var beforeStart = await bob.Http.GetHistoryAsync(room.Id, before: 1).Within();
        Assert.Equal((0, false, true), (beforeStart.Events.Length, beforeStart.HasMoreBefore, beforeStart.HasMoreAfter));

        // Around a seq: the page is centred on it (half older, the rest from it onward), clipped at both ends.
        await AssertPage(bob.Http.GetAroundAsync(room.Id, 16, 10), 11, 20, true, true);
        await AssertPage(bob.Http.GetAroundAsync(room.Id, 16, 11), 11, 21, true, true);
        await AssertPage(bob.Http.GetAroundAsync(room.Id, 2, 10), 1, 10, false, true);   // one older event, the rest newer
        await AssertPage(bob.Http.GetAroundAsync(room.Id, 31, 10), 26, 31, true, false); // five older, then the last
        await AssertPage(bob.Http.GetAroundAsync(room.Id, 1, 1), 1, 1, false, true);
        await AssertPage(bob.Http.GetAroundAsync(room.Id, 99, 10), 27, 31, true, false); // past the end: the older half only
        var pastEndAround = await bob.Http.GetAroundAsync(room.Id, 99, 1).Within();
        Assert.Equal((0, true, false), (pastEndAround.Events.Length, pastEndAround.HasMoreBefore, pastEndAround.HasMoreAfter));
        var emptyWindow = await bob.Http.GetHistoryAsync(room.Id, after: 5, before: 6).Within();
        Assert.Equal((0, true, true), (emptyWindow.Events.Length, emptyWindow.HasMoreBefore, emptyWindow.HasMoreAfter));

        // The socket gives the same pages.
        await using var socket = await bob.ConnectAsync().Within();
        var around = await socket.HistoryAsync(room.Id, around: 16, limit: 10).Within();
        Assert.Equal(Enumerable.Range(11, 10).Select(s => (long)s), around.Events.Select(e => e.Seq));
        Assert.Equal((room.Id, true, true), (around.Room, around.HasMoreBefore, around.HasMoreAfter));
        var oldest = await socket.HistoryAsync(room.Id, before: 6, limit: 10).Within();
        Assert.Equal((5, false, true), (oldest.Events.Length, oldest.HasMoreBefore, oldest.HasMoreAfter));
        var newest = await socket.HistoryAsync(room.Id, after: 25).Within();
        Assert.Equal((6, true, false), (newest.Events.Length, newest.HasMoreBefore, newest.HasMoreAfter));
    }

    [Fact]
    public async Task A_reply_stores_reply_to_and_jumping_to_the_original_centres_the_page_on_it()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();
        var acks = new List<AckDto>();
        for (int i = 0; i < 40; i++)
        {
            acks.Add(await alice.Http.SendAsync(room.Id, new SendMessageRequest($"m{i}", $"message {i}")).Within());
        }

        var original = acks[5];
        var restReply = await bob.Http.SendAsync(room.Id, new SendMessageRequest("r1", "replying over REST", original.Seq)).Within();
        await using var socket = await bob.ConnectAsync().Within();
        var socketReply = await socket.SendMessageAsync(room.Id, "r2", "replying over the socket", restReply.Seq).Within();

        var newest = (await alice.Http.GetHistoryAsync(room.Id, limit: 2).Within()).Events;
        Assert.Equal((restReply.Seq, original.Seq, "replying over REST"), (newest[0].Seq, newest[0].ReplyTo, newest[0].Text));
        Assert.Equal((socketReply.Seq, restReply.Seq), (newest[1].Seq, newest[1].ReplyTo));
        Assert.Null((await alice.Http.GetAroundAsync(room.Id, original.Seq, 1).Within()).Events.Single().ReplyTo);

        var jump = await alice.Http.GetAroundAsync(room.Id, newest[0].ReplyTo!.Value, 9).Within();
        Assert.Equal(Enumerable.Range((int)original.Seq - 4, 9).Select(s => (long)s), jump.Events.Select(e => e.Seq));
        Assert.Equal(original.Id, jump.Events[4].Id);
        Assert.True(jump.HasMoreBefore);
        Assert.True(jump.HasMoreAfter);
    }

    [Fact]
    public async Task Text_with_newlines_markup_and_unicode_arrives_unchanged_live_and_in_history()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();
        await using var bobSocket = await bob.ConnectAsync().Within();
        string[] texts =
        [
            "line one\nline two\r\n\tindented",
            "<script>alert(\"x\")</script> & 'quotes' \\ backslash",
            "안녕하세요 😀 👩‍👩‍👧 \u2028\u2029 end",
            "{\"type\":\"event\"}\n{\"type\":\"hello\"}",
        ];

        // Sent back to back so the server coalesces them into shared WebSocket messages split on '\n'.
        var acks = await Task.WhenAll(texts.Select((t, i) => alice.Http.SendAsync(room.Id, new SendMessageRequest($"t{i}", t)))).Within();
        var live = await Wait.ForEventsAsync(bobSocket.Events, texts.Length, e => e.Kind == EventKinds.Message);
        var stored = (await bob.Http.GetHistoryAsync(room.Id).Within()).Events.Where(e => e.Kind == EventKinds.Message).ToArray();

        var bySeq = acks.Zip(texts).ToDictionary(p => p.First.Seq, p => p.Second);
        Assert.All(live, e => Assert.Equal(bySeq[e.Seq], e.Text));
        Assert.All(stored, e => Assert.Equal(bySeq[e.Seq], e.Text));
        Assert.Equal(texts.Length, stored.Length);
    }

    [Fact]
    public async Task A_group_of_a_thousand_members_is_created_and_a_message_reaches_connected_members()
    {
        const int size = 1000;
        var owner = await _server.NewUserAsync("own").Within();
        var others = new TestUser[size - 1];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, size - 1),
            new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => others[i] = await _server.NewUserAsync("k").Within()).Within(TimeSpan.FromMinutes(2));

        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "thousand", Members: others.Select(u => u.Id).ToArray())).Within();
        Assert.Equal(size, room.MemberCount);

        var memberIds = new List<long>();
        string? cursor = null;
        do
        {
            var page = await others[0].Http.ListMembersAsync(room.Id, cursor, 200).Within();
            memberIds.AddRange(page.Members.Select(m => m.UserId));
            cursor = page.NextCursor;
        }
        while (cursor is not null && memberIds.Count <= size);

        Assert.Equal(others.Select(u => u.Id).Append(owner.Id).Order(), memberIds);

        var listeners = new[] { others[0], others[size / 2], others[^1] };
        var sockets = await Task.WhenAll(listeners.Select(u => u.ConnectAsync())).Within();
        try
        {
            var ack = await owner.Http.SendAsync(room.Id, new SendMessageRequest("big", "hello, thousand")).Within();
            foreach (var socket in sockets)
            {
                var e = (await Wait.ForEventsAsync(socket.Events, 1, e => e.Room == room.Id && e.Kind == EventKinds.Message)).Single();
                Assert.Equal((ack.Id, ack.Seq, "hello, thousand"), (e.Id, e.Seq, e.Text));
            }

            var created = (await others[^1].Http.GetHistoryAsync(room.Id, before: 2).Within()).Events.Single();
            Assert.Equal((EventKinds.RoomCreated, size), (created.Kind, created.Users!.Length));
        }
        finally
        {
            await Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask())).Within();
        }
    }

    private static async Task AssertPage(Task<HistoryPage> request, long firstSeq, long lastSeq, bool moreBefore, bool moreAfter)
    {
        var page = await request.Within();
        Assert.Equal(Enumerable.Range((int)firstSeq, (int)(lastSeq - firstSeq + 1)).Select(s => (long)s), page.Events.Select(e => e.Seq));
        Assert.Equal((moreBefore, moreAfter), (page.HasMoreBefore, page.HasMoreAfter));
    }

    private async Task<HttpStatusCode> PostDirectStatusAsync(TestUser user, long peer)
    {
        using var http = _server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/rooms/direct")
        {
            Content = JsonContent.Create(new CreateDirectRequest(peer), LimeJsonContext.Default.CreateDirectRequest),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Tokens.AccessToken);
        using var response = await http.SendAsync(request).Within();
        return response.StatusCode;
    }

    private static async Task<long[]> MemberIdsAsync(TestUser user, long roomId) =>
        (await user.Http.ListMembersAsync(roomId, limit: 200).Within()).Members.Select(m => m.UserId).ToArray();

    private static async Task<Dictionary<long, string>> RolesAsync(TestUser user, long roomId) =>
        (await user.Http.ListMembersAsync(roomId, limit: 200).Within()).Members.ToDictionary(m => m.UserId, m => m.Role);

    private static async Task<LimeApiException> AssertApiError(int status, string code, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<LimeApiException>(() => call().Within());
        Assert.Equal((status, code), (e.Status, e.Code));
        return e;
    }
}

public sealed class SqliteRoomTests() : RoomTests(TestBackend.Sqlite);

public sealed class PostgresRoomTests() : RoomTests(TestBackend.PostgresRedis);
