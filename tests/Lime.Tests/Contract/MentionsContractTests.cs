using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Contract;

/// <summary>
/// Mentions through the real API on every storage backend: structured <c>mentions</c> kept for members only, the
/// @room rules, the live <c>mention</c> frame, and the per-user mentions list with its paging.
/// </summary>
public abstract class MentionsContractTests : IAsyncLifetime
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    protected LimeServer Server { get; private set; } = null!;

    protected virtual string? SkipReason => null;

    protected abstract Task<Dictionary<string, string?>> BackendSettingsAsync();

    public async ValueTask InitializeAsync()
    {
        var settings = await BackendSettingsAsync();
        // Small thresholds so a test room crosses them: above 3 members @room is for moderators, channels above 4 refuse it.
        settings["Lime:Messages:RoomMentionOpenMembers"] = "3";
        settings["Lime:Messages:RoomMentionMaxChannelMembers"] = "4";
        settings["Lime:Messages:MaxMentions"] = "5";
        Server = new LimeServer(settings);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    protected void SkipWhenUnavailable()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    [Fact]
    public async Task Mentions_keep_members_only_drop_others_silently_and_mark_the_mentioned_users_connections()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var carol = await Server.NewUserAsync("c");
        var stranger = await Server.NewUserAsync("s");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "team", Members: [bob.Id, carol.Id]));
        await using var bobSocket = await bob.ConnectAsync();
        var bobPhone = await bob.NewDeviceAsync("phone");
        await using var bobPhoneSocket = await bobPhone.ConnectAsync();
        await using var carolSocket = await carol.ConnectAsync();
        await using var strangerSocket = await stranger.ConnectAsync();

        // bob twice, alice herself, a stranger and a user that does not exist: only bob is kept.
        var ack = await alice.Http.SendAsync(room.Id, new SendMessageRequest("m1", "@bob look", Mentions: [bob.Id, bob.Id, alice.Id, stranger.Id, 999_999]));

        var live = (await Wait.ForEventsAsync(carolSocket.Events, 1, e => e.Seq == ack.Seq))[0];
        Assert.Equal([bob.Id], live.Mentions!);
        Assert.Null(live.MentionRoom);
        foreach (var socket in new[] { bobSocket, bobPhoneSocket })
        {
            var marker = await MentionAsync(socket, Wait.Default);
            Assert.Equal((room.Id, ack.Seq, alice.Id), (marker!.Room, marker.Seq, marker.Sender));
        }

        Assert.Null(await MentionAsync(carolSocket, Quiet));
        Assert.Null(await MentionAsync(strangerSocket, Quiet));
        var stored = (await bob.Http.GetHistoryAsync(room.Id, after: ack.Seq - 1)).Events.Single(e => e.Seq == ack.Seq);
        Assert.Equal([bob.Id], stored.Mentions!);
        var synced = (await carol.Http.SyncAsync(null)).Rooms.Single(r => r.Room.Id == room.Id).Events.Single(e => e.Seq == ack.Seq);
        Assert.Equal([bob.Id], synced.Mentions!);

        Assert.Equal([ack.Id], (await bob.Http.ListMentionsAsync()).Mentions.Select(e => e.Id));
        Assert.Empty((await carol.Http.ListMentionsAsync()).Mentions);
        Assert.Empty((await stranger.Http.ListMentionsAsync()).Mentions);

        // The socket takes the same fields; a retry stores nothing and marks nobody again.
        await using var aliceSocket = await alice.ConnectAsync();
        var viaSocket = await aliceSocket.SendMessageAsync(room.Id, new SendMessageRequest("m2", "and carol", Mentions: [carol.Id]));
        Assert.Equal(room.Id, (await MentionAsync(carolSocket, Wait.Default))!.Room);
        var again = await aliceSocket.SendMessageAsync(room.Id, new SendMessageRequest("m2", "and carol", Mentions: [carol.Id]));
        Assert.True(again.Duplicate);
        Assert.Equal(viaSocket.Seq, again.Seq);
        Assert.Null(await MentionAsync(carolSocket, Quiet));
    }

    [Fact]
    public async Task At_room_needs_a_moderator_above_the_threshold_is_refused_in_large_channels_and_reaches_every_members_list()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var members = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Server.NewUserAsync("m")));
        var small = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "small", Members: [members[0].Id, members[1].Id]));
        var big = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "big", Members: [.. members.Select(m => m.Id)]));
        await owner.Http.SetRoleAsync(big.Id, members[1].Id, Roles.Admin);

        // 3 members: anyone may @room.
        var everyone = await members[0].Http.SendAsync(small.Id, new SendMessageRequest("r1", "@room lunch?", MentionRoom: true));
        Assert.Contains((await owner.Http.ListMentionsAsync()).Mentions, e => e.Id == everyone.Id && e.MentionRoom == true);
        Assert.Contains((await members[1].Http.ListMentionsAsync()).Mentions, e => e.Id == everyone.Id);
        Assert.DoesNotContain((await members[0].Http.ListMentionsAsync()).Mentions, e => e.Id == everyone.Id); // not the sender

        // 5 members: a plain member is refused and nothing is stored; an admin may.
        long lastSeq = (await owner.Http.GetRoomAsync(big.Id)).LastSeq;
        await Refused(ErrorCodes.Forbidden, () => members[0].Http.SendAsync(big.Id, new SendMessageRequest("r2", "@room!", MentionRoom: true)));
        await using (var socket = await members[0].ConnectAsync())
        {
            var e = await Assert.ThrowsAsync<LimeSocketException>(() => socket.SendMessageAsync(big.Id, new SendMessageRequest("r3", "@room!", MentionRoom: true)));
            Assert.Equal(ErrorCodes.Forbidden, e.Code);
            Assert.Equal("pong", (await socket.PingAsync()).Type); // the connection survives
        }

        Assert.Equal(lastSeq, (await owner.Http.GetRoomAsync(big.Id)).LastSeq);
        var byAdmin = await members[1].Http.SendAsync(big.Id, new SendMessageRequest("r4", "@room meeting", MentionRoom: true));
        foreach (var user in new[] { owner, members[0], members[2], members[3] })
        {
            Assert.Contains((await user.Http.ListMentionsAsync()).Mentions, e => e.Id == byAdmin.Id);
        }

        // A channel above RoomMentionMaxChannelMembers (4) refuses @room from its owner too; a direct room allows it.
        var channel = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "news " + Guid.NewGuid().ToString("N")[..6], Members: [.. members.Select(m => m.Id)]));
        await Refused(ErrorCodes.Forbidden, () => owner.Http.SendAsync(channel.Id, new SendMessageRequest("r5", "@room", MentionRoom: true)));
        var direct = await owner.Http.CreateDirectAsync(members[3].Id);
        await owner.Http.SendAsync(direct.Id, new SendMessageRequest("r6", "@room hi", MentionRoom: true));
    }

    [Fact]
    public async Task The_mentions_list_pages_newest_first_and_drops_deleted_hidden_and_left_rooms()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var direct = await alice.Http.CreateDirectAsync(bob.Id);
        var group = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "g", Members: [bob.Id]));
        var acks = new List<AckDto>();
        for (int i = 0; i < 7; i++)
        {
            acks.Add(await alice.Http.SendAsync(i % 2 == 0 ? direct.Id : group.Id, new SendMessageRequest($"p{i}", $"ping {i}", Mentions: [bob.Id])));
        }

        await alice.Http.SendAsync(direct.Id, new SendMessageRequest("plain", "no mention"));
        await alice.Http.EditMessageAsync(direct.Id, acks[6].Seq, "ping 6 (edited)");

        var pages = new List<EventDto[]>();
        string? cursor = null;
        do
        {
            var page = await bob.Http.ListMentionsAsync(cursor, limit: 3);
            pages.Add(page.Mentions);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal([3, 3, 1], pages.Select(p => p.Length));
        Assert.Equal(acks.Select(a => a.Id).Reverse(), pages.SelectMany(p => p).Select(e => e.Id));
        Assert.Equal("ping 6 (edited)", pages[0][0].Text); // the current text
        await Refused(ErrorCodes.Validation, () => bob.Http.ListMentionsAsync("not-a-cursor"));
        await Refused(ErrorCodes.Validation, () => bob.Http.ListMentionsAsync(limit: 0));

        await alice.Http.DeleteMessageAsync(direct.Id, acks[6].Seq);
        await bob.Http.HideMessageAsync(direct.Id, acks[4].Seq);
        Assert.Equal([acks[5].Id, acks[3].Id, acks[2].Id, acks[1].Id, acks[0].Id], (await bob.Http.ListMentionsAsync()).Mentions.Select(e => e.Id));

        await bob.Http.LeaveAsync(group.Id);
        Assert.Equal([acks[2].Id, acks[0].Id], (await bob.Http.ListMentionsAsync()).Mentions.Select(e => e.Id));
    }

    [Fact]
    public async Task Malformed_mentions_are_refused_before_anything_is_stored()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        long lastSeq = (await alice.Http.GetRoomAsync(room.Id)).LastSeq;

        await Refused(ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("x1", "too many", Mentions: [1, 2, 3, 4, 5, 6])));
        await Refused(ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("x2", "negative", Mentions: [-4])));
        await Refused(ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("x3", "zero", Mentions: [0])));
        await using var socket = await alice.ConnectAsync();
        var e = await Assert.ThrowsAsync<LimeSocketException>(() => socket.SendMessageAsync(room.Id, new SendMessageRequest("x4", "negative", Mentions: [-1])));
        Assert.Equal(ErrorCodes.Validation, e.Code);
        Assert.Equal("pong", (await socket.PingAsync()).Type);
        Assert.Equal(lastSeq, (await alice.Http.GetRoomAsync(room.Id)).LastSeq);
    }

    private static async Task<MentionFrame?> MentionAsync(LimeSocket socket, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                if (await socket.Signals.ReadAsync(cts.Token) is MentionFrame m)
                {
                    return m;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task Refused(string code, Func<Task> operation)
    {
        var e = await Assert.ThrowsAsync<LimeApiException>(operation);
        Assert.Equal(code, e.Code);
    }
}

public sealed class SqliteMentionsContractTests : MentionsContractTests
{
    protected override Task<Dictionary<string, string?>> BackendSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Lime:Storage:Provider"] = "sqlite" });
}

public sealed class PostgresMentionsContractTests : MentionsContractTests
{
    protected override string? SkipReason => Services.PostgresBin is null && !Services.InCi
        ? "PostgreSQL is not installed (apt-get install postgresql); these tests are required on CI."
        : null;

    protected override async Task<Dictionary<string, string?>> BackendSettingsAsync()
    {
        if (SkipReason is not null)
        {
            return new Dictionary<string, string?>();
        }

        return new Dictionary<string, string?>
        {
            ["Lime:Storage:Provider"] = "postgres",
            ["Lime:Storage:PostgresConnectionString"] = await SharedPostgres.NewDatabaseAsync(),
        };
    }
}
