using Lime.Client;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Security;

/// <summary>
/// Display names and room names refuse control and invisible formatting characters (bidi overrides, zero-width
/// characters, fillers) and too many stacked combining marks, and need a visible character: one table, checked on
/// register, profile update, room creation and room rename; nothing is stored from a refused name.
/// </summary>
public sealed class NameRulesTests : IAsyncLifetime
{
    private readonly LimeServer _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Names refused as <c>invalid_name</c>, with why.</summary>
    public static readonly (string Name, string Why)[] Refused =
    [
        ("a\0b", "NUL"),
        ("two\nlines", "newline"),
        ("tab\there", "tab"),
        ("bell\u0007", "control"),
        ("\u202Egnp.exe", "right-to-left override"),
        ("abc\u202Adef", "left-to-right embedding"),
        ("abc\u2066def\u2069", "left-to-right isolate"),
        ("x\u200Fy", "right-to-left mark"),
        ("x\u061Cy", "Arabic letter mark"),
        ("\u200B", "zero-width space only"),
        ("ad\u200Bmin", "zero-width space inside"),
        ("\uFEFFbom", "zero-width no-break space"),
        ("soft\u00ADhyphen", "soft hyphen"),
        ("\u3164", "Hangul filler only"),
        ("\u3164\u3164admin", "Hangul filler with letters"),
        ("\u115F\u1160", "Hangul choseong/jungseong fillers"),
        ("\uFFA0", "halfwidth Hangul filler"),
        ("\u2800\u2800", "braille blank"),
        ("\u200D", "zero-width joiner alone"),
        ("a\u200D", "zero-width joiner at the end"),
        ("e" + new string('\u0301', 63), "63 stacked combining marks"),
        ("a" + new string('\u0301', VisibleName.MaxMarks + 1), "one mark over the cap"),
        ("\u0301\u0302", "combining marks only"),
        ("line\u2028sep", "line separator"),
        ("\uE000", "private use"),
        ("x\uD800y", "lone surrogate"),
        ("flag\U000E0067", "tag character"),
    ];

    /// <summary>Names accepted as they are (after trimming).</summary>
    public static readonly string[] Accepted =
    [
        "Alice Kim 김앨리스",
        "Việt Nam",
        "Vie\u0323\u0302t (decomposed)",
        "e" + new string('\u0301', VisibleName.MaxMarks),
        "👨\u200D👩\u200D👧 family",
        "می\u200Cخواهم",
        "שלום",
        "مرحبا",
        "😀",
        "x",
        "O'Brien-Smith (dad)",
    ];

    [Fact]
    public void The_rules_refuse_every_name_of_the_table_and_accept_the_others()
    {
        foreach (var (name, why) in Refused)
        {
            Assert.True(VisibleName.Problem(name) is not null, $"accepted: {why}");
            var e = Assert.Throws<LimeException>(() => VisibleName.Validate(name, "name", 100));
            Assert.True(e.Code == ErrorCodes.InvalidName, $"{why}: {e.Code}");
        }

        foreach (string name in Accepted)
        {
            Assert.True(VisibleName.Problem(name) is null, $"refused '{name}': {VisibleName.Problem(name)}");
        }

        Assert.Equal(ErrorCodes.Validation, Assert.Throws<LimeException>(() => VisibleName.Validate(" \t ", "name", 100)).Code);
        Assert.Equal(ErrorCodes.Validation, Assert.Throws<LimeException>(() => VisibleName.Validate(new string('n', 101), "name", 100)).Code);
    }

    [Fact]
    public async Task Every_refused_name_is_invalid_name_on_register_profile_room_create_and_rename_and_stores_nothing()
    {
        var owner = await _server.NewUserAsync("owner").Within();
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "kept name")).Within();
        // A lone surrogate cannot travel in JSON (the client's serializer sends U+FFFD instead): the table test covers it.
        foreach (var (name, why) in Refused.Where(r => !r.Name.Any(char.IsSurrogate)))
        {
            string username = "n" + Guid.NewGuid().ToString("N")[..10];
            await AssertInvalidName(why, () => new LimeHttpClient(_server.CreateClient()).RegisterAsync(new RegisterRequest(username, "correct horse battery", name)));
            await AssertInvalidName(why, () => owner.Http.UpdateProfileAsync(new UpdateProfileRequest(name)));
            await AssertInvalidName(why, () => owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, name)));
            await AssertInvalidName(why, () => owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, name)));
            await AssertInvalidName(why, () => owner.Http.UpdateRoomAsync(room.Id, new UpdateRoomRequest(Name: name)));

            // Nothing was stored: the username is free, the names are unchanged.
            var registered = await new LimeHttpClient(_server.CreateClient()).RegisterAsync(new RegisterRequest(username, "correct horse battery")).Within();
            Assert.Equal(username, registered.User.DisplayName);
        }

        Assert.Equal(owner.Tokens.User.DisplayName, (await owner.Http.GetMeAsync().Within()).DisplayName);
        Assert.Equal("kept name", (await owner.Http.GetRoomAsync(room.Id).Within()).Name);
        var rooms = await owner.Http.ListRoomsAsync().Within();
        Assert.Single(rooms.Rooms);

        foreach (string name in Accepted)
        {
            Assert.Equal(name, (await owner.Http.UpdateProfileAsync(new UpdateProfileRequest(" " + name + " ")).Within()).DisplayName);
            Assert.Equal(name, (await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, name)).Within()).Name);
        }
    }

    private static async Task AssertInvalidName(string why, Func<Task> call)
    {
        var e = await Record.ExceptionAsync(() => call().WaitAsync(Wait.Default)) as LimeApiException;
        Assert.True(e is not null, $"{why}: accepted");
        Assert.True((e.Status, e.Code) == (400, ErrorCodes.InvalidName), $"{why}: {e.Status} {e.Code}");
    }
}
