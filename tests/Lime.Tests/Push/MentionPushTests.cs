using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Push;

/// <summary>
/// A structured mention through the outbox and push path: it reaches a "mentions only" user, and a mention by id gets
/// through a room the user muted (@room does not), on both storage backends.
/// </summary>
public sealed class MentionPushTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(700);

    [Fact]
    public Task A_mention_by_id_pushes_a_mentions_only_user_who_muted_the_room_and_at_room_pushes_the_unmuted_ones() =>
        MentionsReachTheRightPeopleAsync(new Dictionary<string, string?>());

    [PostgresFact]
    public async Task On_postgres_a_mention_by_id_pushes_a_mentions_only_user_who_muted_the_room() =>
        await MentionsReachTheRightPeopleAsync(new Dictionary<string, string?>
        {
            ["Lime:Storage:Provider"] = "postgres",
            ["Lime:Storage:PostgresConnectionString"] = await SharedPostgres.NewDatabaseAsync().Within(),
        });

    private static async Task MentionsReachTheRightPeopleAsync(Dictionary<string, string?> settings)
    {
        await using var h = await PushHarness.StartAsync(settings: settings);
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob"); // mentions only, room muted
        var carol = await h.NewUserAsync("carol"); // mentions only
        var dave = await h.NewUserAsync("dave"); // everything, room muted
        var room = await alice.User.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "Team", Members: [bob.Id, carol.Id, dave.Id])).Within();
        foreach (var u in new[] { bob, carol, dave })
        {
            await u.RegisterWebhookAsync(u.User.Tokens.User.Username);
        }

        await bob.Push.SetSettingsAsync(new PushSettingsDto(PushLevels.Mentions)).Within();
        await bob.Push.MuteAsync(room.Id).Within();
        await carol.Push.SetSettingsAsync(new PushSettingsDto(PushLevels.Mentions)).Within();
        await dave.Push.MuteAsync(room.Id).Within();

        async Task<string> SendAsync(string text, long[]? mentions = null, bool everyone = false)
        {
            await alice.User.Http.SendAsync(room.Id, new SendMessageRequest(Guid.NewGuid().ToString("N"), text, Mentions: mentions, MentionRoom: everyone ? true : null)).Within();
            return $"{alice.User.Tokens.User.DisplayName}: {text}";
        }

        await SendAsync("nobody should hear this");
        string toBob = await SendAsync("a word about the release", mentions: [bob.Id]); // no @bob in the text: the structured mention counts
        string toAll = await SendAsync("everyone, standup", everyone: true); // carol only: @room does not get through bob's or dave's mute
        string toDave = await SendAsync("dave, your turn", mentions: [dave.Id]);

        var got = await h.Webhook!.WaitForAsync(3);
        await h.Webhook.AssertNoMoreAsync(3, _ => true, Quiet);
        string Name(PushUser u) => u.User.Tokens.User.Username;
        Assert.Equal(
            new[] { (Name(bob), toBob), (Name(carol), toAll), (Name(dave), toDave) }.Order(),
            got.Select(d => (d.Token, d.Body)).Order());
    }
}
