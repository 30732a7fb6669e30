using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Push;

/// <summary>Who gets a push, and how a burst is collapsed.</summary>
public sealed class AudienceTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    [Fact]
    public async Task Only_offline_members_other_than_the_sender_are_pushed()
    {
        await using var h = await PushHarness.StartAsync();
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob");
        var carol = await h.NewUserAsync("carol");
        var room = await alice.User.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "Team", Members: [bob.Id, carol.Id])).Within();
        await alice.RegisterWebhookAsync("alice");
        await bob.RegisterWebhookAsync("bob");
        await carol.RegisterWebhookAsync("carol");
        await using var carolOnline = await carol.User.ConnectAsync().Within();

        await alice.SendAsync(room.Id, "hello team");
        var got = (await h.Webhook!.WaitForAsync(1)).Single();
        Assert.Equal(("bob", "Team", $"{alice.User.Tokens.User.DisplayName}: hello team"), (got.Token, got.Title, got.Body));
        await h.Webhook.AssertNoMoreAsync(1, _ => true, Quiet);
    }

    [Fact]
    public async Task Muted_rooms_and_level_none_get_nothing_and_mentions_only_gets_mentions_and_direct_messages()
    {
        await using var h = await PushHarness.StartAsync();
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob");
        var carol = await h.NewUserAsync("carol");
        var dave = await h.NewUserAsync("dave");
        var room = await alice.User.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "Team", Members: [bob.Id, carol.Id, dave.Id])).Within();
        var direct = await alice.User.Http.CreateDirectAsync(carol.Id).Within();
        foreach (var u in new[] { bob, carol, dave })
        {
            await u.RegisterWebhookAsync(u.User.Tokens.User.Username);
        }

        await bob.Push.MuteAsync(room.Id).Within();
        Assert.Equal(room.Id, Assert.Single((await bob.Push.ListMutesAsync().Within()).Mutes).Room);
        await carol.Push.SetSettingsAsync(new PushSettingsDto(PushLevels.Mentions)).Within();
        await dave.Push.SetSettingsAsync(new PushSettingsDto(PushLevels.None)).Within();

        await alice.SendAsync(room.Id, "no mention here");
        await alice.SendAsync(room.Id, $"ping @{carol.User.Tokens.User.Username}!");
        await alice.SendAsync(direct.Id, "a direct message");
        var got = await h.Webhook!.WaitForAsync(2);
        Assert.All(got, d => Assert.Equal(carol.User.Tokens.User.Username, d.Token));
        Assert.Equal([$"{alice.User.Tokens.User.DisplayName}: ping @{carol.User.Tokens.User.Username}!", "a direct message"], got.Select(d => d.Body).Order().Reverse());
        await h.Webhook.AssertNoMoreAsync(2, _ => true, Quiet);

        await bob.Push.UnmuteAsync(room.Id).Within();
        await alice.SendAsync(room.Id, "unmuted");
        await h.Webhook.WaitForAsync(1, d => d.Token == bob.User.Tokens.User.Username);
    }

    [Fact]
    public async Task Quiet_hours_hold_pushes_back()
    {
        await using var h = await PushHarness.StartAsync();
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob");
        var room = await alice.User.Http.CreateDirectAsync(bob.Id).Within();
        await bob.RegisterWebhookAsync("bob");
        var now = DateTime.UtcNow;
        string from = now.AddMinutes(-30).ToString("HH:mm"), to = now.AddMinutes(30).ToString("HH:mm");
        var saved = await bob.Push.SetSettingsAsync(new PushSettingsDto(PushLevels.All, new QuietHoursDto(from, to, "UTC"))).Within();
        Assert.Equal(from, saved.QuietHours!.Start);

        await alice.SendAsync(room.Id, "at night");
        await h.Webhook!.AssertNoMoreAsync(0, _ => true, Quiet);

        await bob.Push.SetSettingsAsync(new PushSettingsDto(PushLevels.All)).Within();
        await alice.SendAsync(room.Id, "in the morning");
        Assert.Equal("in the morning", (await h.Webhook.WaitForAsync(1)).Single().Body);
    }

    [Fact]
    public async Task With_the_device_audience_only_the_devices_that_are_not_connected_are_pushed()
    {
        await using var h = await PushHarness.StartAsync(settings: new Dictionary<string, string?> { ["Lime:Push:Audience"] = "device" });
        var alice = await h.NewUserAsync("alice");
        var bobPhone = await h.NewUserAsync("bob");
        var bobLaptop = await bobPhone.User.NewDeviceAsync("laptop");
        var room = await alice.User.Http.CreateDirectAsync(bobPhone.Id).Within();
        await bobPhone.RegisterWebhookAsync("bob-phone");
        await new PushUser(bobLaptop, new Lime.Client.LimePushClient(h.Server.CreateClient(), bobLaptop.Http)).RegisterWebhookAsync("bob-laptop");
        await using var laptopOnline = await bobLaptop.ConnectAsync().Within();

        await alice.SendAsync(room.Id, "which device?");
        Assert.Equal("bob-phone", (await h.Webhook!.WaitForAsync(1)).Single().Token);
        await h.Webhook.AssertNoMoreAsync(1, _ => true, Quiet);
    }

    [Fact]
    public async Task A_burst_to_one_device_gives_the_first_message_then_one_digest_saying_how_many()
    {
        await using var h = await PushHarness.StartAsync(settings: new Dictionary<string, string?> { ["Lime:Push:CollapseWindowMs"] = "1500" });
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob");
        var room = await alice.User.Http.CreateDirectAsync(bob.Id).Within();
        await bob.RegisterWebhookAsync("bob");

        for (int i = 1; i <= 5; i++)
        {
            await alice.SendAsync(room.Id, $"burst {i}");
        }

        var got = await h.Webhook!.WaitForAsync(2);
        Assert.StartsWith("burst ", got[0].Body, StringComparison.Ordinal); // with two workers, either of the first two may lead
        Assert.Equal("5 new messages", got[1].Body);
        Assert.Equal(5, got[1].Count);
        Assert.Equal(alice.User.Tokens.User.DisplayName, got[1].Title);
        Assert.StartsWith("d:", got[1].Key, StringComparison.Ordinal);
        await h.Webhook.AssertNoMoreAsync(2, _ => true, TimeSpan.FromSeconds(2));

        Assert.Equal(4, (await h.Admin.Push.GetStatsAsync().Within()).Collapsed); // counted before the digest was sent
    }
    [Fact]
    public async Task Messages_nobody_is_pushed_about_are_drained_without_retries()
    {
        await using var h = await PushHarness.StartAsync();
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob"); // no push target at all
        var room = await alice.User.Http.CreateDirectAsync(bob.Id).Within();
        for (int i = 0; i < 20; i++)
        {
            await alice.SendAsync(room.Id, $"nobody to push {i}");
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        Lime.Protocol.PushStatsResponse stats;
        // pending is the store's count as of the dispatcher's last look, which can trail the processed counter.
        while ((stats = await h.Admin.Push.GetStatsAsync().Within()) is { Processed: < 20 } or { Pending: > 0 })
        {
            Assert.True(DateTime.UtcNow < deadline, $"not drained: {stats}");
            await Task.Delay(50);
        }

        Assert.Equal((0L, 0L, 0L, 0L), (stats.Pending, stats.Retries, stats.DeadLetters, stats.SendFailures));
        // One attempt per outbox entry, none retried: each message has a 'push' entry and (since issue 15) a 'search'
        // entry, and these stats count the whole outbox.
        Assert.Equal(2 * 20, stats.Attempts);
    }
}
