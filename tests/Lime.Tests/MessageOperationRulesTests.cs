using Lime.Client;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

/// <summary>Rules of operations on messages that depend on settings: the edit and delete windows, large rooms, emoji.</summary>
public sealed class MessageOperationRulesTests
{
    [Fact]
    public async Task Past_the_windows_the_sender_can_neither_edit_nor_delete_but_an_admin_can_delete()
    {
        await using var server = new LimeServer(new Dictionary<string, string?>
        {
            ["Lime:Messages:EditWindowSeconds"] = "0",
            ["Lime:Messages:DeleteWindowSeconds"] = "0",
        });
        var owner = await server.NewUserAsync("o");
        var member = await server.NewUserAsync("m");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "w", Members: [member.Id]));
        var m = await member.Http.SendAsync(room.Id, new SendMessageRequest("m", "too late to fix"));
        await Task.Delay(20); // the window is 0 s: any time after the commit is past it

        var edit = await Assert.ThrowsAsync<LimeApiException>(() => member.Http.EditMessageAsync(room.Id, m.Seq, "fixed"));
        Assert.Equal(ErrorCodes.WindowExpired, edit.Code);
        Assert.Equal(403, edit.Status);
        var delete = await Assert.ThrowsAsync<LimeApiException>(() => member.Http.DeleteMessageAsync(room.Id, m.Seq));
        Assert.Equal(ErrorCodes.WindowExpired, delete.Code);
        Assert.Equal(m.Seq, (await owner.Http.GetRoomAsync(room.Id)).LastSeq);

        Assert.True((await owner.Http.DeleteMessageAsync(room.Id, m.Seq)).Changed);
    }

    [Fact]
    public async Task Large_rooms_get_reaction_counts_without_who_reacted()
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Rooms:LargeRoomMembers"] = "2" });
        var users = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => server.NewUserAsync("l")));
        var room = await users[0].Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "large", Members: [users[1].Id, users[2].Id]));
        var m = await users[0].Http.SendAsync(room.Id, new SendMessageRequest("m", "count me"));
        foreach (var u in users)
        {
            await u.Http.AddReactionAsync(room.Id, m.Seq, "🎉");
        }

        var reaction = (await users[1].Http.GetAroundAsync(room.Id, m.Seq, limit: 1)).Events.Single().Reactions!.Single();
        Assert.Equal(("🎉", 3), (reaction.Emoji, reaction.Count));
        Assert.Null(reaction.Users);
    }

    [Theory]
    [InlineData("👍", true)]
    [InlineData("👍🏽", true)] // skin tone
    [InlineData("👍🏿", true)]
    [InlineData("❤️", true)] // with VS16
    [InlineData("❤", true)] // pictograph without VS16
    [InlineData("👨‍👩‍👧‍👦", true)] // ZWJ family
    [InlineData("👩🏽‍💻", true)] // ZWJ with a skin tone
    [InlineData("🏳️‍🌈", true)] // ZWJ with VS16
    [InlineData("❤️‍🔥", true)]
    [InlineData("🇯🇵", true)] // flag: two regional indicators
    [InlineData("🇺🇦", true)]
    [InlineData("🏴󠁧󠁢󠁳󠁣󠁴󠁿", true)] // tag sequence flag (Scotland)
    [InlineData("1️⃣", true)] // keycap
    [InlineData("#️⃣", true)]
    [InlineData("*⃣", true)] // keycap without VS16
    [InlineData("🫠", true)] // Unicode 14
    [InlineData("©", true)] // Extended_Pictographic
    [InlineData("", false)]
    [InlineData("a", false)]
    [InlineData("1", false)] // a digit alone is no keycap
    [InlineData("ab", false)]
    [InlineData("👍👍", false)] // two emoji
    [InlineData("🇯🇵🇺🇸", false)] // two flags
    [InlineData("🇯", false)] // a lone regional indicator
    [InlineData("🏽", false)] // a lone skin tone
    [InlineData("👍 ", false)]
    [InlineData(" 👍", false)]
    [InlineData("👍\u0301", false)] // a combining mark on an emoji
    [InlineData("\u200D", false)]
    [InlineData("é", false)]
    [InlineData("字", false)]
    [InlineData(":+1:", false)] // shortcodes are the client's business
    [InlineData("a⃣", false)] // keycap of a letter
    public void One_emoji_is_one_grapheme_cluster_that_is_an_emoji(string text, bool accepted) =>
        Assert.Equal(accepted, Emoji.IsSingle(text));
}
