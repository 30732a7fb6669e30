using Lime.Client;
using Lime.Protocol;
using Lime.Server.Storage;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Contract;

/// <summary>
/// Room settings, deletion, bans, mutes, invite links, blocks and presence privacy through the real API, on every
/// storage backend. Every refusal has its code and stores nothing.
/// </summary>
public abstract class ModerationContractTests : IAsyncLifetime
{
    protected LimeServer Server { get; private set; } = null!;

    protected virtual string? SkipReason => null;

    protected abstract Task<Dictionary<string, string?>> BackendSettingsAsync();

    public async ValueTask InitializeAsync() => Server = new LimeServer(await BackendSettingsAsync());

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    protected void SkipWhenUnavailable()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    [Fact]
    public async Task A_ban_sticks_across_rejoin_re_add_invite_link_and_a_second_device()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var troll = await Server.NewUserAsync("t");
        var channel = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "open " + Guid.NewGuid().ToString("N")[..6]));
        await troll.Http.JoinAsync(channel.Id);
        var invite = await owner.Http.CreateInviteAsync(channel.Id, new CreateInviteRequest());
        var phone = await troll.NewDeviceAsync("phone");
        await using var laptopSocket = await troll.ConnectAsync();
        await using var phoneSocket = await phone.ConnectAsync();
        var before = await owner.Http.SendAsync(channel.Id, new SendMessageRequest("b", "before the ban"));

        var ban = await owner.Http.BanAsync(channel.Id, troll.Id);
        Assert.True(ban.Changed);
        foreach (var socket in new[] { laptopSocket, phoneSocket })
        {
            var banned = await Wait.ForEventsAsync(socket.Events, 1, e => e.Kind == EventKinds.MemberBanned);
            Assert.Equal([troll.Id], banned[0].Users!);
        }

        var after = await owner.Http.SendAsync(channel.Id, new SendMessageRequest("a", "after the ban"));
        Assert.Null(await Wait.ForAnyEventAsync(phoneSocket.Events, TimeSpan.FromMilliseconds(500), e => e.Seq == after.Seq));
        long lastSeq = (await owner.Http.GetRoomAsync(channel.Id)).LastSeq;

        await Refused(ErrorCodes.Forbidden, () => phone.Http.GetHistoryAsync(channel.Id));
        await Refused(ErrorCodes.Forbidden, () => troll.Http.SendAsync(channel.Id, new SendMessageRequest("x", "let me back")));
        await Refused(ErrorCodes.Banned, () => troll.Http.JoinAsync(channel.Id));
        await Refused(ErrorCodes.Banned, () => owner.Http.AddMembersAsync(channel.Id, troll.Id));
        await Refused(ErrorCodes.Banned, () => phone.Http.JoinByInviteAsync(invite.Code));
        Assert.Equal([troll.Id], (await owner.Http.ListBansAsync(channel.Id)).Bans.Select(b => b.UserId));
        Assert.Contains(channel.Id, (await phone.Http.SyncAsync([new SyncCursor(channel.Id, before.Seq)])).Left);
        Assert.Equal(lastSeq, (await owner.Http.GetRoomAsync(channel.Id)).LastSeq); // the refusals stored nothing
        Assert.Equal(1, (await owner.Http.GetRoomAsync(channel.Id)).MemberCount);

        await owner.Http.UnbanAsync(channel.Id, troll.Id);
        Assert.False((await troll.Http.JoinByInviteAsync(invite.Code)).Pending);
        Assert.Equal(2, (await owner.Http.GetRoomAsync(channel.Id)).MemberCount);
    }

    [Fact]
    public async Task Only_moderators_ban_and_mute_and_nobody_acts_on_the_owner()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var admin = await Server.NewUserAsync("a");
        var member = await Server.NewUserAsync("m");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "mods", Members: [admin.Id, member.Id]));
        await owner.Http.SetRoleAsync(room.Id, admin.Id, Roles.Admin);
        long lastSeq = (await owner.Http.GetRoomAsync(room.Id)).LastSeq;

        await Refused(ErrorCodes.Forbidden, () => member.Http.BanAsync(room.Id, admin.Id));
        await Refused(ErrorCodes.Forbidden, () => admin.Http.BanAsync(room.Id, owner.Id));
        await Refused(ErrorCodes.Forbidden, () => member.Http.MuteMemberAsync(room.Id, admin.Id));
        await Refused(ErrorCodes.Validation, () => admin.Http.MuteMemberAsync(room.Id, member.Id, durationSeconds: 0));
        await Refused(ErrorCodes.NotFound, () => admin.Http.BanAsync(room.Id, 999_999));
        var direct = await owner.Http.CreateDirectAsync(member.Id);
        await Refused(ErrorCodes.Validation, () => owner.Http.BanAsync(direct.Id, member.Id));
        Assert.Equal(lastSeq, (await owner.Http.GetRoomAsync(room.Id)).LastSeq);
    }

    [Fact]
    public async Task A_muted_member_cannot_post_until_unmuted_and_the_refusal_says_for_how_long()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var member = await Server.NewUserAsync("m");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "quiet", Members: [member.Id]));
        var m = await owner.Http.SendAsync(room.Id, new SendMessageRequest("m", "hello"));

        var muted = await owner.Http.MuteMemberAsync(room.Id, member.Id, durationSeconds: 3600);
        Assert.True(muted.Changed);
        long lastSeq = (await owner.Http.GetRoomAsync(room.Id)).LastSeq;
        var refused = await Assert.ThrowsAsync<LimeApiException>(() => member.Http.SendAsync(room.Id, new SendMessageRequest("x", "can I talk")));
        Assert.Equal(ErrorCodes.Muted, refused.Code);
        Assert.InRange(refused.RetryAfter!.Value.TotalSeconds, 3500, 3601);
        await Refused(ErrorCodes.Muted, () => member.Http.AddReactionAsync(room.Id, m.Seq, "👍"));
        Assert.Equal(lastSeq, (await owner.Http.GetRoomAsync(room.Id)).LastSeq);
        Assert.NotNull((await owner.Http.ListMembersAsync(room.Id)).Members.Single(x => x.UserId == member.Id).MutedUntil);

        await owner.Http.UnmuteMemberAsync(room.Id, member.Id);
        await member.Http.SendAsync(room.Id, new SendMessageRequest("y", "thanks"));
        var kinds = (await owner.Http.GetHistoryAsync(room.Id, after: m.Seq)).Events.Select(e => e.Kind);
        Assert.Equal([EventKinds.MemberMuted, EventKinds.MemberUnmuted, EventKinds.Message], kinds);
    }

    [Fact]
    public async Task Expired_revoked_and_used_up_invites_are_refused_and_approval_channels_queue_joins()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var users = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Server.NewUserAsync("j")));
        var group = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "invites"));
        var once = await owner.Http.CreateInviteAsync(group.Id, new CreateInviteRequest(ExpiresInSeconds: 3600, MaxUses: 1));
        var revoked = await owner.Http.CreateInviteAsync(group.Id, new CreateInviteRequest());
        await owner.Http.RevokeInviteAsync(group.Id, revoked.Id);
        // An invite that has already expired (the API allows no expiry under a minute): written straight through the writer.
        var writer = Server.Services.GetRequiredService<IRoomWriter>();
        await writer.WriteAsync(new CreateInvite(group.Id, owner.Id, null, "expired-" + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1000, null));
        string expired = (await owner.Http.ListInvitesAsync(group.Id)).Invites.Single(i => i.Code.StartsWith("expired-", StringComparison.Ordinal)).Code;

        Assert.Equal(("invites", 1), ((await users[0].Http.PreviewInviteAsync(once.Code)).Name, (await users[0].Http.PreviewInviteAsync(once.Code)).MemberCount));
        Assert.False((await users[0].Http.JoinByInviteAsync(once.Code)).Pending);
        long lastSeq = (await owner.Http.GetRoomAsync(group.Id)).LastSeq;
        await Refused(ErrorCodes.InviteInvalid, () => users[1].Http.JoinByInviteAsync(once.Code));
        await Refused(ErrorCodes.InviteInvalid, () => users[1].Http.JoinByInviteAsync(revoked.Code));
        await Refused(ErrorCodes.InviteInvalid, () => users[1].Http.JoinByInviteAsync(expired));
        await Refused(ErrorCodes.InviteInvalid, () => users[1].Http.PreviewInviteAsync(revoked.Code));
        await Refused(ErrorCodes.NotFound, () => users[1].Http.JoinByInviteAsync("no-such-code"));
        await Refused(ErrorCodes.Forbidden, () => users[0].Http.CreateInviteAsync(group.Id, new CreateInviteRequest()));
        Assert.Equal(lastSeq, (await owner.Http.GetRoomAsync(group.Id)).LastSeq);
        Assert.Equal(1, (await owner.Http.ListInvitesAsync(group.Id)).Invites.Single(i => i.Id == once.Id).Uses);

        // A channel that requires approval: joining (openly or by code) asks; an admin approves or rejects.
        var channel = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "vetted " + Guid.NewGuid().ToString("N")[..6]));
        await owner.Http.UpdateRoomAsync(channel.Id, new UpdateRoomRequest(ApprovalRequired: true));
        var code = await owner.Http.CreateInviteAsync(channel.Id, new CreateInviteRequest());
        Assert.True((await users[2].Http.JoinByInviteAsync(code.Code)).Pending);
        Assert.True((await users[3].Http.JoinByInviteAsync(code.Code)).Pending);
        var openly = await users[4].Http.JoinAsync(channel.Id); // 202: a join request, not membership
        Assert.Equal((true, (RoomDto?)null), (openly.Pending, openly.Room));
        Assert.Equal(new[] { users[2].Id, users[3].Id, users[4].Id }.Order(), (await owner.Http.ListJoinRequestsAsync(channel.Id)).Requests.Select(r => r.UserId).Order());
        await Refused(ErrorCodes.Forbidden, () => users[2].Http.GetHistoryAsync(channel.Id));
        await owner.Http.ApproveJoinAsync(channel.Id, users[2].Id);
        await owner.Http.RejectJoinAsync(channel.Id, users[3].Id);
        Assert.NotEmpty((await users[2].Http.GetHistoryAsync(channel.Id)).Events);
        await Refused(ErrorCodes.Forbidden, () => users[3].Http.GetHistoryAsync(channel.Id));
        await Refused(ErrorCodes.NotFound, () => owner.Http.ApproveJoinAsync(channel.Id, users[3].Id));
        Assert.Contains((await owner.Http.GetHistoryAsync(channel.Id)).Events, e => e.Kind == EventKinds.JoinRejected && e.Users![0] == users[3].Id);
    }

    [Fact]
    public async Task Room_settings_and_deletion_are_events_and_a_deleted_room_is_gone_for_everyone()
    {
        SkipWhenUnavailable();
        var owner = await Server.NewUserAsync("o");
        var member = await Server.NewUserAsync("m");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "old name", Members: [member.Id]));
        await using var memberSocket = await member.ConnectAsync();

        await Refused(ErrorCodes.Forbidden, () => member.Http.UpdateRoomAsync(room.Id, new UpdateRoomRequest(Name: "mine")));
        await Refused(ErrorCodes.Validation, () => owner.Http.UpdateRoomAsync(room.Id, new UpdateRoomRequest(Name: "  ")));
        var update = await owner.Http.UpdateRoomAsync(room.Id, new UpdateRoomRequest(Name: "new name", Topic: "plans", Description: "where we plan"));
        Assert.False((await owner.Http.UpdateRoomAsync(room.Id, new UpdateRoomRequest(Name: "new name"))).Changed);
        var updated = await member.Http.GetRoomAsync(room.Id);
        Assert.Equal(("new name", "plans", "where we plan"), (updated.Name, updated.Topic, updated.Description));
        var live = (await Wait.ForEventsAsync(memberSocket.Events, 1, e => e.Kind == EventKinds.RoomUpdated))[0];
        Assert.Equal((update.Seq, "new name", "plans"), (live.Seq, live.Name, live.Topic));

        await Refused(ErrorCodes.Forbidden, () => member.Http.DeleteRoomAsync(room.Id));
        await owner.Http.DeleteRoomAsync(room.Id);
        var deleted = (await Wait.ForEventsAsync(memberSocket.Events, 1, e => e.Kind == EventKinds.RoomDeleted))[0];
        Assert.Equal([owner.Id, member.Id], deleted.Users!.Order());
        await Refused(ErrorCodes.NotFound, () => member.Http.GetRoomAsync(room.Id));
        await Refused(ErrorCodes.NotFound, () => owner.Http.SendAsync(room.Id, new SendMessageRequest("x", "anyone?")));
        Assert.DoesNotContain((await member.Http.ListRoomsAsync()).Rooms, r => r.Room.Id == room.Id);
        Assert.Contains(room.Id, (await member.Http.SyncAsync([new SyncCursor(room.Id, 1)])).Left);
    }

    [Fact]
    public async Task A_block_closes_the_direct_room_both_ways_and_hides_presence_both_ways()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var carol = await Server.NewUserAsync("c");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        await alice.Http.AddContactAsync(bob.Id);
        await bob.Http.AddContactAsync(alice.Id);
        await using var aliceSocket = await alice.ConnectAsync();
        await using var bobSocket = await bob.ConnectAsync();
        await OnlineAsync(alice, bob); // mutual contacts see each other
        Assert.True((await bob.Http.ListContactsAsync()).Single().Mutual);

        await alice.Http.BlockAsync(bob.Id);
        long lastSeq = (await alice.Http.GetRoomAsync(room.Id)).LastSeq;
        await Refused(ErrorCodes.Blocked, () => bob.Http.SendAsync(room.Id, new SendMessageRequest("x", "hey")));
        await Refused(ErrorCodes.Blocked, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("y", "no")));
        await Refused(ErrorCodes.Blocked, () => bob.Http.CreateDirectAsync(alice.Id));
        await Refused(ErrorCodes.Blocked, () => alice.Http.CreateDirectAsync(bob.Id));
        await Refused(ErrorCodes.Forbidden, () => bob.Http.GetPresenceAsync(alice.Id));
        await Refused(ErrorCodes.Forbidden, () => alice.Http.GetPresenceAsync(bob.Id));
        var seenByBob = (await bob.Http.ListContactsAsync()).Single();
        Assert.Equal((false, (long?)null, false), (seenByBob.Online, seenByBob.LastSeen, seenByBob.Mutual));
        Assert.Equal([bob.Id], (await alice.Http.ListBlocksAsync()).Blocks.Select(b => b.UserId));
        Assert.Equal(lastSeq, (await alice.Http.GetRoomAsync(room.Id)).LastSeq);

        // A block also stops a room that did not exist yet, with a third user blocking first.
        await carol.Http.BlockAsync(alice.Id);
        await Refused(ErrorCodes.Blocked, () => alice.Http.CreateDirectAsync(carol.Id));

        await alice.Http.UnblockAsync(bob.Id);
        await bob.Http.SendAsync(room.Id, new SendMessageRequest("z", "friends again"));
        await OnlineAsync(alice, bob);
    }

    [Fact]
    public async Task Presence_goes_to_mutual_contacts_and_small_room_mates_never_to_someone_who_merely_added_you()
    {
        SkipWhenUnavailable();
        var star = await Server.NewUserAsync("s");
        var fan = await Server.NewUserAsync("f");
        await fan.Http.AddContactAsync(star.Id);
        await using var starSocket = await star.ConnectAsync();

        await Refused(ErrorCodes.Forbidden, () => fan.Http.GetPresenceAsync(star.Id));
        var contact = (await fan.Http.ListContactsAsync()).Single();
        Assert.Equal((false, (long?)null, false), (contact.Online, contact.LastSeen, contact.Mutual));

        await star.Http.AddContactAsync(fan.Id);
        await OnlineAsync(fan, star);
        var mutual = (await fan.Http.ListContactsAsync()).Single();
        Assert.True(mutual.Online && mutual.Mutual);
    }

    /// <summary>Waits (bounded) until <paramref name="watcher"/> sees <paramref name="user"/> online: a new connection's presence is stored asynchronously.</summary>
    private static async Task OnlineAsync(TestUser watcher, TestUser user)
    {
        using var cts = new CancellationTokenSource(Wait.Default);
        while (!(await watcher.Http.GetPresenceAsync(user.Id, cts.Token)).Online)
        {
            await Task.Delay(50, cts.Token);
        }
    }

    protected static async Task Refused(string code, Func<Task> operation)
    {
        var e = await Assert.ThrowsAsync<LimeApiException>(operation);
        Assert.Equal(code, e.Code);
    }
}

public sealed class SqliteModerationContractTests : ModerationContractTests
{
    protected override Task<Dictionary<string, string?>> BackendSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Lime:Storage:Provider"] = "sqlite" });
}

public sealed class PostgresModerationContractTests : ModerationContractTests
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
