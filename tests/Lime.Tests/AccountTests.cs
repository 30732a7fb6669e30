using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public abstract class AccountTests(TestBackend backend) : IAsyncLifetime
{
    /// <summary>The backend this run of the suite is on (one subclass per backend, at the end of the file).</summary>
    protected TestBackend Backend { get; } = backend;

    private const string Password = "correct horse battery";
    private readonly LimeServer _server = new(backend);

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(Backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Register_then_login_starts_a_new_device_session_of_the_same_user()
    {
        var http = NewClient();
        string name = UniqueName("reg");
        var registered = await http.RegisterAsync(new RegisterRequest(name, Password, "Reg", "laptop")).Within();
        var loggedIn = await NewClient().LoginAsync(new LoginRequest(name, Password, "phone")).Within();

        Assert.Equal(registered.User.Id, loggedIn.User.Id);
        Assert.Equal(name, loggedIn.User.Username);
        Assert.NotEqual(registered.DeviceId, loggedIn.DeviceId);
        Assert.NotEqual(registered.RefreshToken, loggedIn.RefreshToken);
        Assert.True(loggedIn.ExpiresIn > 0);

        var me = await http.GetMeAsync().Within();
        Assert.Equal((registered.User.Id, name, "Reg"), (me.Id, me.Username, me.DisplayName));

        // Login trims and lower-cases the username too.
        var shouted = await NewClient().LoginAsync(new LoginRequest("  " + name.ToUpperInvariant() + " ", Password)).Within();
        Assert.Equal(registered.User.Id, shouted.User.Id);
    }

    [Fact]
    public async Task The_display_name_defaults_to_the_username_and_a_blank_one_is_a_validation_error()
    {
        string plain = UniqueName("plain");
        var registered = await NewClient().RegisterAsync(new RegisterRequest(plain, Password)).Within();
        Assert.Equal(plain, registered.User.DisplayName);

        string blank = UniqueName("blank");
        await AssertApiError(400, ErrorCodes.Validation, () => NewClient().RegisterAsync(new RegisterRequest(blank, Password, DisplayName: "   ")));
        await AssertApiError(400, ErrorCodes.Validation, () => NewClient().RegisterAsync(new RegisterRequest(blank, Password, DisplayName: new string('d', 65))));
        var looker = new LimeHttpClient(_server.CreateClient()) { AccessToken = registered.AccessToken };
        await AssertApiError(404, ErrorCodes.NotFound, () => looker.GetUserByUsernameAsync(blank));
    }

    [Fact]
    public async Task A_taken_username_in_any_case_is_a_conflict_and_creates_nothing()
    {
        string name = UniqueName("dup");
        var first = await NewClient().RegisterAsync(new RegisterRequest(name, Password)).Within();

        await AssertApiError(409, ErrorCodes.Conflict, () => NewClient().RegisterAsync(new RegisterRequest(name, "another password")));
        await AssertApiError(409, ErrorCodes.Conflict, () => NewClient().RegisterAsync(new RegisterRequest(name.ToUpperInvariant(), "another password")));

        // The original account is untouched: its password still works, the intruder's does not.
        var login = await NewClient().LoginAsync(new LoginRequest(name, Password)).Within();
        Assert.Equal(first.User.Id, login.User.Id);
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => NewClient().LoginAsync(new LoginRequest(name, "another password")));
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_username_create_exactly_one_account()
    {
        string name = UniqueName("race");
        var attempts = Enumerable.Range(0, 6)
            .Select(i => NewClient().RegisterAsync(new RegisterRequest(i % 2 == 0 ? name : name.ToUpperInvariant(), $"password number {i}")))
            .ToArray();
        await Task.WhenAll(attempts.Select(a => a.ContinueWith(_ => { }, TaskScheduler.Default))).Within();

        var winner = Assert.Single(attempts, a => a.IsCompletedSuccessfully);
        Assert.All(attempts.Where(a => a != winner), a =>
        {
            var e = Assert.IsType<LimeApiException>(a.Exception!.InnerException);
            Assert.Equal((409, ErrorCodes.Conflict), (e.Status, e.Code));
        });

        var bob = await _server.NewUserAsync().Within();
        Assert.Equal((await winner).User.Id, (await bob.Http.GetUserByUsernameAsync(name).Within()).Id);
    }

    [Fact]
    public async Task A_wrong_password_or_an_unknown_user_is_unauthenticated()
    {
        var alice = await _server.NewUserAsync().Within();

        var client = NewClient();
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => client.LoginAsync(new LoginRequest(alice.Tokens.User.Username, "wrong password!")));
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => client.LoginAsync(new LoginRequest(UniqueName("nobody"), Password)));
        Assert.Null(client.AccessToken);

        // No device session was started by the failed attempts.
        var devices = await alice.Http.ListDevicesAsync().Within();
        Assert.Single(devices);
    }

    [Fact]
    public async Task Refresh_rotates_the_refresh_token_and_the_old_one_is_rejected_afterwards()
    {
        var alice = await _server.NewUserAsync().Within();
        string original = alice.Tokens.RefreshToken;

        var client = NewClient();
        var rotated = await client.RefreshAsync(original).Within();
        Assert.Equal(alice.Tokens.DeviceId, rotated.DeviceId);
        Assert.Equal(alice.Id, rotated.User.Id);
        Assert.NotEqual(original, rotated.RefreshToken);
        Assert.Equal(alice.Id, (await client.GetMeAsync().Within()).Id);

        // The used token is spent, whoever replays it.
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => NewClient().RefreshAsync(original));

        // The new one works once, and rotates again.
        var again = await NewClient().RefreshAsync(rotated.RefreshToken).Within();
        Assert.NotEqual(rotated.RefreshToken, again.RefreshToken);
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => NewClient().RefreshAsync(rotated.RefreshToken));
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => NewClient().RefreshAsync("not-a-token"));
    }

    [Fact]
    public async Task A_refresh_token_presented_concurrently_is_honoured_exactly_once()
    {
        var alice = await _server.NewUserAsync().Within();
        var attempts = Enumerable.Range(0, 6).Select(_ => NewClient().RefreshAsync(alice.Tokens.RefreshToken)).ToArray();
        await Task.WhenAll(attempts.Select(a => a.ContinueWith(_ => { }, TaskScheduler.Default))).Within();

        var winner = Assert.Single(attempts, a => a.IsCompletedSuccessfully);
        Assert.All(attempts.Where(a => a != winner), a =>
        {
            var e = Assert.IsType<LimeApiException>(a.Exception!.InnerException);
            Assert.Equal((401, ErrorCodes.Unauthenticated), (e.Status, e.Code));
        });

        // Only the winner's token carries the session on.
        var next = await NewClient().RefreshAsync((await winner).RefreshToken).Within();
        Assert.Equal(alice.Tokens.DeviceId, next.DeviceId);
    }

    [Fact]
    public async Task Logout_revokes_that_device_on_rest_and_socket_while_the_other_device_keeps_working()
    {
        var alice = await _server.NewUserAsync().Within();
        var tablet = await alice.NewDeviceAsync("tablet").Within();
        var bob = await _server.NewUserAsync().Within();
        var room = await bob.Http.CreateDirectAsync(alice.Id).Within();

        await using var laptopSocket = await alice.ConnectAsync().Within();
        await using var laptopSecondTab = await alice.ConnectAsync().Within();
        await using var tabletSocket = await tablet.ConnectAsync().Within();

        await alice.Http.LogoutAsync().Within();

        // Every socket of the laptop is closed by the server with 4001 "logged_out".
        foreach (var socket in new[] { laptopSocket, laptopSecondTab })
        {
            await socket.Completion.Within();
            Assert.Equal((CloseCodes.SessionRevoked, "logged_out"), (socket.CloseCode, socket.CloseDescription));
        }

        var afterClose = await Assert.ThrowsAsync<LimeSocketException>(() => laptopSocket.PingAsync().Within());
        Assert.Equal("closed", afterClose.Code);

        // Its access token and refresh token are dead, and it cannot open a new socket.
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => alice.Http.GetMeAsync());
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("x", "after logout")));
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => NewClient().RefreshAsync(alice.Tokens.RefreshToken));
        var upgrade = await Assert.ThrowsAsync<InvalidOperationException>(() => alice.ConnectAsync().Within());
        Assert.Contains("401", upgrade.Message, StringComparison.Ordinal);

        // The tablet is unaffected: REST, socket requests and live delivery all work.
        Assert.Equal(alice.Id, (await tablet.Http.GetMeAsync().Within()).Id);
        await tabletSocket.PingAsync().Within();
        Assert.Null(tabletSocket.CloseCode);
        var ack = await bob.Http.SendAsync(room.Id, new SendMessageRequest("b1", "still there?")).Within();
        var received = await Wait.ForEventsAsync(tabletSocket.Events, 1, e => e.Kind == EventKinds.Message);
        Assert.Equal(ack.Id, received[0].Id);

        var devices = await tablet.Http.ListDevicesAsync().Within();
        var only = Assert.Single(devices);
        Assert.Equal((tablet.Tokens.DeviceId, true), (only.Id, only.Current));

        // Nothing was stored from the revoked device.
        var history = await bob.Http.GetHistoryAsync(room.Id).Within();
        Assert.DoesNotContain(history.Events, e => e.Sender == alice.Id && e.Kind == EventKinds.Message);
    }

    [Fact]
    public async Task Updating_the_profile_changes_the_display_name_others_see_and_bad_names_are_rejected()
    {
        var alice = await _server.NewUserAsync().Within();
        var bob = await _server.NewUserAsync().Within();

        var updated = await alice.Http.UpdateProfileAsync(new UpdateProfileRequest("  Alice Kim 김앨리스  ")).Within();
        Assert.Equal("Alice Kim 김앨리스", updated.DisplayName);
        Assert.Equal(alice.Tokens.User.Username, updated.Username);
        Assert.Equal("Alice Kim 김앨리스", (await alice.Http.GetMeAsync().Within()).DisplayName);
        Assert.Equal("Alice Kim 김앨리스", (await bob.Http.GetUserAsync(alice.Id).Within()).DisplayName);

        // A null display name changes nothing.
        Assert.Equal("Alice Kim 김앨리스", (await alice.Http.UpdateProfileAsync(new UpdateProfileRequest(null)).Within()).DisplayName);

        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.UpdateProfileAsync(new UpdateProfileRequest("   ")));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.UpdateProfileAsync(new UpdateProfileRequest(new string('x', 65))));
        Assert.Equal("Alice Kim 김앨리스", (await bob.Http.GetUserAsync(alice.Id).Within()).DisplayName);
    }

    [Fact]
    public async Task Users_are_found_by_username_in_any_case()
    {
        var bob = await _server.NewUserAsync().Within();
        string stored = UniqueName("mixed");
        var carol = await NewClient().RegisterAsync(new RegisterRequest("Mixed" + stored["mixed".Length..].ToUpperInvariant(), Password)).Within();
        Assert.Equal(stored, carol.User.Username); // usernames are stored lower-case

        foreach (string query in new[] { stored, stored.ToUpperInvariant(), "MiXeD" + stored["mixed".Length..], "  " + stored + " " })
        {
            var found = await bob.Http.GetUserByUsernameAsync(query).Within();
            Assert.Equal((carol.User.Id, stored), (found.Id, found.Username));
        }

        await AssertApiError(404, ErrorCodes.NotFound, () => bob.Http.GetUserByUsernameAsync(UniqueName("ghost")));
        await AssertApiError(404, ErrorCodes.NotFound, () => bob.Http.GetUserAsync(long.MaxValue));
    }

    [Fact]
    public async Task The_device_list_shows_every_live_device_and_marks_the_current_one()
    {
        var alice = await _server.NewUserAsync().Within();
        var phone = await alice.NewDeviceAsync("phone").Within();

        var fromLaptop = await alice.Http.ListDevicesAsync().Within();
        var fromPhone = await phone.Http.ListDevicesAsync().Within();

        Assert.Equal(
            new[] { alice.Tokens.DeviceId, phone.Tokens.DeviceId }.Order(),
            fromLaptop.Select(d => d.Id).Order());
        Assert.Equal(alice.Tokens.DeviceId, Assert.Single(fromLaptop, d => d.Current).Id);
        Assert.Equal(phone.Tokens.DeviceId, Assert.Single(fromPhone, d => d.Current).Id);
        Assert.Equal("phone", fromLaptop.Single(d => d.Id == phone.Tokens.DeviceId).Name);
        Assert.All(fromLaptop, d => Assert.True(d.CreatedAt > 0));
    }

    [Theory]
    [InlineData("  desk  ", "desk")]
    [InlineData("   ", "unnamed device")]
    [InlineData(null, "unnamed device")]
    public async Task Device_names_are_trimmed_and_a_blank_one_is_named_for_the_user(string? given, string expected)
    {
        var alice = await _server.NewUserAsync().Within();
        var login = await NewClient().LoginAsync(new LoginRequest(alice.Tokens.User.Username, Password, given)).Within();

        var devices = await alice.Http.ListDevicesAsync().Within();
        Assert.Equal(expected, devices.Single(d => d.Id == login.DeviceId).Name);
    }

    [Fact]
    public async Task A_long_device_name_is_cut_to_64_characters_without_splitting_a_character()
    {
        var alice = await _server.NewUserAsync().Within();
        string ascii = new('x', 100);
        string emojiAcrossTheCut = new string('y', 63) + "🦊 fox phone"; // the fox's surrogate pair spans characters 64-65
        var first = await NewClient().LoginAsync(new LoginRequest(alice.Tokens.User.Username, Password, ascii)).Within();
        var second = await NewClient().LoginAsync(new LoginRequest(alice.Tokens.User.Username, Password, emojiAcrossTheCut)).Within();

        var devices = await alice.Http.ListDevicesAsync().Within();
        Assert.Equal(new string('x', 64), devices.Single(d => d.Id == first.DeviceId).Name);
        string cut = devices.Single(d => d.Id == second.DeviceId).Name;
        Assert.True(cut.Length <= 64, $"{cut.Length} characters");
        Assert.StartsWith(cut, emojiAcrossTheCut, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', cut);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("ünïcode")]
    [InlineData("이름은한글")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")] // 33 characters
    public async Task A_malformed_username_is_a_validation_error_and_creates_no_account(string username)
    {
        await AssertApiError(400, ErrorCodes.Validation, () => NewClient().RegisterAsync(new RegisterRequest(username, Password)));

        var bob = await _server.NewUserAsync().Within();
        if (username.Trim().Length > 0)
        {
            await AssertApiError(404, ErrorCodes.NotFound, () => bob.Http.GetUserByUsernameAsync(username.Trim()));
        }
    }

    [Theory]
    [InlineData(-1)] // no password at all
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(129)]
    public async Task A_password_missing_or_outside_8_to_128_characters_is_a_validation_error_and_creates_no_account(int length)
    {
        string? password = length < 0 ? null : new string('p', length);
        string name = UniqueName("pw");
        await AssertApiError(400, ErrorCodes.Validation, () => NewClient().RegisterAsync(new RegisterRequest(name, password!)));

        var bob = await _server.NewUserAsync().Within();
        await AssertApiError(404, ErrorCodes.NotFound, () => bob.Http.GetUserByUsernameAsync(name));
    }

    [Fact]
    public async Task Passwords_of_exactly_8_and_128_characters_are_accepted()
    {
        foreach (string password in new[] { new string('p', 8), new string('p', 128) })
        {
            string name = UniqueName("edge");
            await NewClient().RegisterAsync(new RegisterRequest(name, password)).Within();
            var login = await NewClient().LoginAsync(new LoginRequest(name, password)).Within();
            Assert.Equal(name, login.User.Username);
        }
    }

    private LimeHttpClient NewClient() => new(_server.CreateClient());

    private static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static async Task<LimeApiException> AssertApiError(int status, string code, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<LimeApiException>(() => call().Within());
        Assert.Equal((status, code), (e.Status, e.Code));
        return e;
    }
}

public sealed class SqliteAccountTests() : AccountTests(TestBackend.Sqlite);

public sealed class PostgresAccountTests() : AccountTests(TestBackend.PostgresRedis);
