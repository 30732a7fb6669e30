using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

/// <summary>
/// Every refused request answers with its stable error code and leaves nothing behind: each test checks the code,
/// then reads history or the member list to see that nothing was stored.
/// </summary>
public abstract class BadInputTests(TestBackend backend) : IAsyncLifetime
{
    /// <summary>The backend this run of the suite is on (one subclass per backend, at the end of the file).</summary>
    protected TestBackend Backend { get; } = backend;

    private const int MaxTextBytes = 300;
    private const int MaxFrameBytes = 65536;

    private readonly LimeServer _server = new(backend);

    /// <summary>Small limits: 300-byte texts, 64 KiB frames, groups of 3.</summary>
    private readonly LimeServer _small = new(backend, new Dictionary<string, string?>
    {
        ["Lime:Limits:MaxTextBytes"] = MaxTextBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lime:Realtime:MaxFrameBytes"] = MaxFrameBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lime:Limits:MaxGroupMembers"] = "3",
    });

    /// <summary>One send per second after a burst of three.</summary>
    private readonly LimeServer _throttled = new(backend, new Dictionary<string, string?>
    {
        ["Lime:Limits:SendsPerSecond"] = "1",
        ["Lime:Limits:SendBurst"] = "3",
    });

    /// <summary>Another deployment with its own signing key: its tokens mean nothing to <see cref="_server"/>.</summary>
    private readonly LimeServer _foreign = new(backend);

    /// <summary>Hosted on Kestrel on a free loopback port (started by the test that uses it).</summary>
    private readonly LimeServer _overNetwork = OverKestrel(backend);

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(Backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _small.DisposeAsync();
        await _throttled.DisposeAsync();
        await _overNetwork.DisposeAsync();
        await _foreign.DisposeAsync();
    }

    [Fact]
    public async Task Rest_requests_without_a_valid_token_are_401_unauthenticated_and_store_nothing()
    {
        var (alice, bob, room) = await DirectRoomAsync(_server);
        var anonymous = new LimeHttpClient(_server.CreateClient());

        await AssertApiError(401, ErrorCodes.Unauthenticated, () => anonymous.GetMeAsync());
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => anonymous.ListRoomsAsync());
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => anonymous.SendAsync(room.Id, new SendMessageRequest("a1", "anonymous")));
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => anonymous.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "ghost room", Members: [alice.Id])));
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => anonymous.CreateDirectAsync(alice.Id));

        // The code is in the problem body, not only implied by the status; a forged or foreign token fares no better.
        var foreign = await _foreign.NewUserAsync().Within();
        foreach (string? token in new[] { null, "garbage", alice.Tokens.AccessToken + "x", foreign.Tokens.AccessToken })
        {
            var (status, code) = await RawAsync(_server, HttpMethod.Post, $"api/rooms/{room.Id}/messages", token, """{"client_msg_id":"raw","text":"raw"}""");
            Assert.Equal((HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated), (status, code));
        }

        // A query-string token is for the WebSocket upgrade only.
        var (queryStatus, queryCode) = await RawAsync(_server, HttpMethod.Get, "api/me?access_token=" + Uri.EscapeDataString(alice.Tokens.AccessToken), null);
        Assert.Equal((HttpStatusCode.Unauthorized, ErrorCodes.Unauthenticated), (queryStatus, queryCode));

        await AssertNothingButRoomCreated(bob, room.Id);
        Assert.Single((await alice.Http.ListRoomsAsync().Within()).Rooms);
    }

    [Fact]
    public async Task A_websocket_upgrade_without_a_valid_token_is_rejected_with_401()
    {
        var alice = await _server.NewUserAsync().Within();

        foreach (var (token, inQuery) in new (string?, bool)[] { (null, false), ("garbage", false), ("garbage", true), (alice.Tokens.AccessToken[..^2], false) })
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => _server.ConnectAsync(token, tokenInQuery: inQuery).Within());
            Assert.Contains("status code: 401", e.Message, StringComparison.Ordinal);
        }

        // The same user with the real token, in the header or the query, gets in.
        await using var header = await _server.ConnectAsync(alice.Tokens.AccessToken).Within();
        await using var query = await _server.ConnectAsync(alice.Tokens.AccessToken, tokenInQuery: true).Within();
        Assert.Equal((alice.Id, alice.Id), (header.Hello.UserId, query.Hello.UserId));

        // A plain request to the endpoint is not an upgrade.
        var (status, code) = await RawAsync(_server, HttpMethod.Get, "ws", alice.Tokens.AccessToken);
        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.Validation), (status, code));
    }

    [Fact]
    public async Task A_websocket_upgrade_from_an_origin_outside_the_allow_list_is_rejected_with_403()
    {
        // Over a real loopback port: TestServer's WebSocket client supplies its own IHttpWebSocketFeature, and
        // ASP.NET Core's WebSocketMiddleware (which enforces AllowedOrigins) steps aside when one is present.
        _overNetwork.StartServer();
        var alice = await _overNetwork.NewUserAsync().Within();
        var uri = alice.Http.WebSocketUri();
        Assert.Equal("ws", uri.Scheme);
        Assert.True(uri.IsLoopback);

        foreach (string origin in new[] { "http://evil.example", "http://127.0.0.1:5081", "https://127.0.0.1:5080", "http://127.0.0.1:5080.evil.example", "null" })
        {
            var e = await Assert.ThrowsAsync<WebSocketException>(() => ConnectOverNetworkAsync(uri, alice.Tokens.AccessToken, origin));
            Assert.Contains("'403'", e.Message, StringComparison.Ordinal);
        }

        // The Origin is checked before the token: a foreign page learns nothing about it.
        var anonymous = await Assert.ThrowsAsync<WebSocketException>(() => ConnectOverNetworkAsync(uri, "garbage", "http://evil.example"));
        Assert.Contains("'403'", anonymous.Message, StringComparison.Ordinal);

        foreach (string? origin in new[] { "http://127.0.0.1:5080", "http://localhost:5080", null })
        {
            await using var socket = await ConnectOverNetworkAsync(uri, alice.Tokens.AccessToken, origin);
            Assert.Equal(alice.Id, socket.Hello.UserId);
            await socket.PingAsync().Within();
        }

        // A refused origin got nothing: the user has no room, nothing was sent.
        Assert.Empty((await alice.Http.ListRoomsAsync().Within()).Rooms);
    }

    [Fact]
    public async Task Unknown_rooms_and_users_are_404_not_found_on_rest_and_socket_and_store_nothing()
    {
        var (alice, bob, room) = await DirectRoomAsync(_server);
        var group = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "known", Members: [bob.Id])).Within();
        const long NoRoom = long.MaxValue;
        const long NoUser = long.MaxValue - 1;

        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.GetRoomAsync(NoRoom));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.GetHistoryAsync(NoRoom));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.GetAroundAsync(NoRoom, 1));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.SendAsync(NoRoom, new SendMessageRequest("n1", "into the void")));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.JoinAsync(NoRoom));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.LeaveAsync(NoRoom));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.ListMembersAsync(NoRoom));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.AddMembersAsync(NoRoom, bob.Id));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.GetUserAsync(NoUser));
        foreach (string path in new[] { $"api/rooms/{NoRoom}", "api/rooms/abc", "api/no-such-route" })
        {
            var (status, code) = await RawAsync(_server, HttpMethod.Get, path, alice.Tokens.AccessToken);
            Assert.True((HttpStatusCode.NotFound, ErrorCodes.NotFound) == (status, code), $"{path}: {status} {code}");
        }

        await using var socket = await alice.ConnectAsync().Within();
        var send = await Assert.ThrowsAsync<LimeSocketException>(() => socket.SendMessageAsync(NoRoom, "n2", "into the void").Within());
        var history = await Assert.ThrowsAsync<LimeSocketException>(() => socket.HistoryAsync(NoRoom).Within());
        Assert.Equal((ErrorCodes.NotFound, ErrorCodes.NotFound), (send.Code, history.Code));

        // Unknown users: no direct room, no group, no new member, no removal of a non-member.
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.CreateDirectAsync(NoUser));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "ghosts", Members: [bob.Id, NoUser])));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.AddMembersAsync(group.Id, NoUser));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.RemoveMemberAsync(group.Id, NoUser));
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.SetRoleAsync(group.Id, NoUser, Roles.Admin));

        Assert.Equal(new[] { group.Id, room.Id }.Order(), (await alice.Http.ListRoomsAsync().Within()).Rooms.Select(r => r.Room.Id).Order());
        Assert.Equal(new[] { alice.Id, bob.Id }.Order(), (await bob.Http.ListMembersAsync(group.Id).Within()).Members.Select(m => m.UserId));
        await AssertNothingButRoomCreated(bob, group.Id);
        await AssertNothingButRoomCreated(bob, room.Id);
    }

    [Fact]
    public async Task Invalid_messages_are_400_validation_on_rest_and_socket_and_nothing_is_stored()
    {
        var (alice, bob, room) = await DirectRoomAsync(_server);
        await using var socket = await alice.ConnectAsync().Within();

        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("t1", "")));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("t2", " \n\t ")));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("t3", null!)));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest(null!, "no client id")));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("", "empty client id")));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest(new string('c', 65), "client id too long")));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("r1", "reply to the future", 2)));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("r2", "reply to nothing", 0)));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("r3", "reply to negative", -1)));

        foreach (var (clientId, text, replyTo) in new (string, string, long?)[] { ("s1", "   ", null), ("", "x", null), (new string('s', 65), "x", null), ("s2", "x", 99) })
        {
            var e = await Assert.ThrowsAsync<LimeSocketException>(() => socket.SendMessageAsync(room.Id, clientId, text, replyTo).Within());
            Assert.Equal(ErrorCodes.Validation, e.Code);
        }

        await socket.SendRawAsync($$"""{"type":"send","id":"no-room","client_msg_id":"s3","text":"where to?"}""").Within();
        var noRoom = await NextErrorAsync(socket);
        Assert.Equal(("no-room", ErrorCodes.Validation), (noRoom.Id, noRoom.Code));
        await socket.SendRawAsync($$"""{"type":"send","id":"no-id","room":{{room.Id}},"text":"who am I?"}""").Within();
        var noClientId = await NextErrorAsync(socket);
        Assert.Equal(("no-id", ErrorCodes.Validation), (noClientId.Id, noClientId.Code));

        await AssertNothingButRoomCreated(bob, room.Id);

        // The boundaries are accepted: a 64-character client id, a reply to the newest seq.
        var ok = await alice.Http.SendAsync(room.Id, new SendMessageRequest(new string('c', 64), "just right")).Within();
        var reply = await socket.SendMessageAsync(room.Id, "s4", "reply to the newest", ok.Seq).Within();
        var events = (await bob.Http.GetHistoryAsync(room.Id).Within()).Events;
        Assert.Equal(new[] { (1L, (string?)null), (2L, "just right"), (3L, "reply to the newest") }, events.Select(e => (e.Seq, e.Text)));
        Assert.Equal((reply.Seq, ok.Seq), (events[2].Seq, events[2].ReplyTo));
    }

    [Fact]
    public async Task Paging_parameters_out_of_range_are_400_validation()
    {
        var (alice, bob, room) = await DirectRoomAsync(_server);
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("m1", "one")).Within();

        foreach (int limit in new[] { 0, -1, 201 })
        {
            await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.GetHistoryAsync(room.Id, limit: limit));
            await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.GetAroundAsync(room.Id, 1, limit));
            await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.ListRoomsAsync(limit: limit));
            await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.ListMembersAsync(room.Id, limit: limit));
            await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.ListChannelsAsync("x", limit: limit));
        }

        await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.GetHistoryAsync(room.Id, before: -1));
        await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.GetHistoryAsync(room.Id, after: -5));
        await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.GetAroundAsync(room.Id, 0));
        await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.ListRoomsAsync(cursor: "not-a-cursor"));
        await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.ListMembersAsync(room.Id, cursor: "abc"));
        await AssertApiError(400, ErrorCodes.Validation, () => bob.Http.ListChannelsAsync(cursor: "no-separator"));
        var (status, code) = await RawAsync(_server, HttpMethod.Get, $"api/rooms/{room.Id}/events?limit=ten", bob.Tokens.AccessToken);
        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.Validation), (status, code));

        await using var socket = await bob.ConnectAsync().Within();
        foreach (int limit in new[] { 0, 201 })
        {
            var e = await Assert.ThrowsAsync<LimeSocketException>(() => socket.HistoryAsync(room.Id, limit: limit).Within());
            Assert.Equal(ErrorCodes.Validation, e.Code);
        }

        var socketAround = await Assert.ThrowsAsync<LimeSocketException>(() => socket.HistoryAsync(room.Id, after: 1, around: 2).Within());
        Assert.Equal(ErrorCodes.Validation, socketAround.Code);

        // The largest page is fine.
        Assert.Equal(2, (await bob.Http.GetHistoryAsync(room.Id, limit: 200).Within()).Events.Length);
        Assert.Equal(2, (await socket.HistoryAsync(room.Id, limit: 200).Within()).Events.Length);
    }

    [Fact]
    public async Task A_malformed_json_body_is_400_validation_and_stores_nothing()
    {
        var (alice, bob, room) = await DirectRoomAsync(_server);
        string token = alice.Tokens.AccessToken;
        string messages = $"api/rooms/{room.Id}/messages";

        foreach (string body in new[] { "{not json", "", "[]", "\"text\"", """{"client_msg_id":5,"text":"typed wrong"}""", """{"client_msg_id":"x","text":"x","reply_to":"1"}""" })
        {
            var (status, code) = await RawAsync(_server, HttpMethod.Post, messages, token, body);
            Assert.True((HttpStatusCode.BadRequest, ErrorCodes.Validation) == (status, code), $"body {body}: {status} {code}");
        }

        var (plainStatus, plainCode) = await RawAsync(_server, HttpMethod.Post, messages, token, """{"client_msg_id":"p","text":"plain"}""", "text/plain");
        Assert.Equal((HttpStatusCode.UnsupportedMediaType, ErrorCodes.Validation), (plainStatus, plainCode));

        var createRoom = await RawAsync(_server, HttpMethod.Post, "api/rooms", token, """{"kind":"group","name":"half""");
        var register = await RawAsync(_server, HttpMethod.Post, "api/auth/register", null, """{"username":"halfway","password":""");
        var addMembers = await RawAsync(_server, HttpMethod.Post, $"api/rooms/{room.Id}/members", token, """{"user_ids":["one"]}""");
        Assert.All(new[] { createRoom, register, addMembers }, r => Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.Validation), r));

        await AssertNothingButRoomCreated(bob, room.Id);
        Assert.Single((await alice.Http.ListRoomsAsync().Within()).Rooms);
        await AssertApiError(404, ErrorCodes.NotFound, () => alice.Http.GetUserByUsernameAsync("halfway"));
    }

    [Fact]
    public async Task Creating_a_room_of_an_unknown_kind_or_with_a_bad_name_is_400_validation_and_creates_nothing()
    {
        var alice = await _small.NewUserAsync().Within();
        var bob = await _small.NewUserAsync().Within();
        var carol = await _small.NewUserAsync().Within();
        var dave = await _small.NewUserAsync().Within();

        foreach (string? kind in new[] { "village", "direct", "GROUP", "", null })
        {
            await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.CreateRoomAsync(new CreateRoomRequest(kind!, "name", Members: [bob.Id])));
        }

        foreach (string? name in new[] { null, "", "   ", new string('n', 101) })
        {
            await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, name)));
            await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, name)));
        }

        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "topical", new string('t', 1001))));

        // MaxGroupMembers is 3 on this server: a fourth member is refused at creation and when added.
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "crowd", Members: [bob.Id, carol.Id, dave.Id])));
        Assert.Empty((await alice.Http.ListRoomsAsync().Within()).Rooms);

        var full = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, new string('n', 100), Members: [bob.Id, carol.Id])).Within();
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.AddMembersAsync(full.Id, dave.Id));
        await AssertApiError(400, ErrorCodes.Validation, () => alice.Http.AddMembersAsync(full.Id, Array.Empty<long>()));
        Assert.Equal(3, (await alice.Http.ListMembersAsync(full.Id).Within()).Members.Length);
        await AssertNothingButRoomCreated(bob, full.Id);
        Assert.Single((await alice.Http.ListRoomsAsync().Within()).Rooms);
    }

    [Fact]
    public async Task Text_over_the_byte_limit_is_413_message_too_large_on_rest_and_socket_and_exactly_the_limit_is_accepted()
    {
        var (alice, bob, room) = await DirectRoomAsync(_small);
        await using var socket = await alice.ConnectAsync().Within();
        Assert.Equal(MaxTextBytes, socket.Hello.MaxTextBytes);

        string korean = new('한', MaxTextBytes / 3);                       // 100 characters, 300 bytes
        string emoji = string.Concat(Enumerable.Repeat("😀", MaxTextBytes / 4)); // 150 UTF-16 units, 300 bytes
        string koreanOver = korean + "a";                                  // 101 characters, 301 bytes
        string emojiOver = "a" + emoji;
        Assert.Equal(
            (MaxTextBytes, MaxTextBytes, MaxTextBytes + 1, MaxTextBytes + 1),
            (Encoding.UTF8.GetByteCount(korean), Encoding.UTF8.GetByteCount(emoji), Encoding.UTF8.GetByteCount(koreanOver), Encoding.UTF8.GetByteCount(emojiOver)));

        await AssertApiError(413, ErrorCodes.MessageTooLarge, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("k1", koreanOver)));
        await AssertApiError(413, ErrorCodes.MessageTooLarge, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("e1", emojiOver)));
        var (status, code) = await RawAsync(_small, HttpMethod.Post, $"api/rooms/{room.Id}/messages", alice.Tokens.AccessToken,
            JsonSerializer.Serialize(new SendMessageRequest("k2", new string('글', 200)), LimeJsonContext.Default.SendMessageRequest));
        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, ErrorCodes.MessageTooLarge), (status, code));
        foreach (string text in new[] { koreanOver, emojiOver })
        {
            var e = await Assert.ThrowsAsync<LimeSocketException>(() => socket.SendMessageAsync(room.Id, "s-" + text.Length, text).Within());
            Assert.Equal(ErrorCodes.MessageTooLarge, e.Code);
        }

        await AssertNothingButRoomCreated(bob, room.Id);

        await alice.Http.SendAsync(room.Id, new SendMessageRequest("k3", korean)).Within();
        await socket.SendMessageAsync(room.Id, "e2", emoji).Within();
        var texts = (await bob.Http.GetHistoryAsync(room.Id).Within()).Events.Where(e => e.Kind == EventKinds.Message).Select(e => e.Text);
        Assert.Equal(new[] { korean, emoji }, texts);
    }

    [Fact]
    public async Task Sends_beyond_the_burst_are_429_rate_limited_with_retry_after_on_rest_and_socket_and_are_not_stored()
    {
        var (alice, bob, room) = await DirectRoomAsync(_throttled);
        var phone = await alice.NewDeviceAsync("phone").Within();
        await using var socket = await phone.ConnectAsync().Within(); // the budget is per user: shared by devices and transports

        for (int i = 1; i <= 3; i++)
        {
            await alice.Http.SendAsync(room.Id, new SendMessageRequest($"burst{i}", $"burst {i}")).Within();
        }

        var rest = await AssertApiError(429, ErrorCodes.RateLimited, () => alice.Http.SendAsync(room.Id, new SendMessageRequest("burst4", "one too many")));
        Assert.NotNull(rest.RetryAfter);
        Assert.InRange(rest.RetryAfter.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2));

        var overSocket = await Assert.ThrowsAsync<LimeSocketException>(() => socket.SendMessageAsync(room.Id, "burst5", "still too many").Within());
        Assert.Equal(ErrorCodes.RateLimited, overSocket.Code);
        Assert.NotNull(overSocket.RetryAfterMs);
        Assert.InRange(overSocket.RetryAfterMs.Value, 1, 2000);

        using (var http = _throttled.CreateClient())
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"api/rooms/{room.Id}/messages"))
        {
            request.Content = new StringContent("""{"client_msg_id":"burst6","text":"raw"}""", Encoding.UTF8, "application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", alice.Tokens.AccessToken);
            using var response = await http.SendAsync(request).Within();
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After header in whole seconds");
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().Within());
            Assert.Equal(ErrorCodes.RateLimited, body.RootElement.GetProperty("code").GetString());
            Assert.True(body.RootElement.GetProperty("retry_after_ms").GetInt32() > 0);
        }

        // The limit is per user: bob is not slowed by alice.
        await bob.Http.SendAsync(room.Id, new SendMessageRequest("bob1", "bob is fine")).Within();

        var stored = (await bob.Http.GetHistoryAsync(room.Id).Within()).Events.Where(e => e.Kind == EventKinds.Message).Select(e => e.ClientMsgId);
        Assert.Equal(new[] { "burst1", "burst2", "burst3", "bob1" }, stored);

        // Waiting as told lets alice send again.
        AckDto? later = null;
        for (int attempt = 0; attempt < 3 && later is null; attempt++)
        {
            try
            {
                later = await alice.Http.SendAsync(room.Id, new SendMessageRequest("later", "after waiting")).Within();
            }
            catch (LimeApiException e) when (e.Code == ErrorCodes.RateLimited && e.RetryAfter is { } wait && wait <= TimeSpan.FromSeconds(2))
            {
                await Task.Delay(wait + TimeSpan.FromMilliseconds(50));
            }
        }

        Assert.NotNull(later);
        Assert.False(later.Duplicate);
    }

    [Fact]
    public async Task A_taken_username_is_409_conflict_and_the_first_account_is_untouched()
    {
        string name = "taken" + Guid.NewGuid().ToString("N")[..8];
        var (created, _) = await RawAsync(_server, HttpMethod.Post, "api/auth/register", null, $$"""{"username":"{{name}}","password":"first password"}""");
        var (status, code) = await RawAsync(_server, HttpMethod.Post, "api/auth/register", null, $$"""{"username":"{{name.ToUpperInvariant()}}","password":"second password"}""");

        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal((HttpStatusCode.Conflict, ErrorCodes.Conflict), (status, code));
        var login = await new LimeHttpClient(_server.CreateClient()).LoginAsync(new LoginRequest(name, "first password")).Within();
        Assert.Equal(name, login.User.Username);
        await AssertApiError(401, ErrorCodes.Unauthenticated, () => new LimeHttpClient(_server.CreateClient()).LoginAsync(new LoginRequest(name, "second password")));
    }

    [Fact]
    public async Task Malformed_json_on_the_socket_is_a_bad_frame_error_and_the_connection_keeps_working()
    {
        var (alice, bob, room) = await DirectRoomAsync(_server);
        await using var socket = await alice.ConnectAsync().Within();

        foreach (string frame in new[] { "{not json", "[1,2,3]", "null", "42", """{"type":"send","room":1""", """{"type":"ping"}{"type":"ping"}""", "{\"type\":\"ping\"}\n{\"type\":\"ping\"}" })
        {
            await socket.SendRawAsync(frame).Within();
            var error = await NextErrorAsync(socket);
            Assert.True((ErrorCodes.BadFrame, (string?)null) == (error.Code, error.Id), $"frame {frame}: {error.Code} {error.Id}");
        }

        var pong = await socket.PingAsync().Within();
        Assert.True(pong.Ts > 0);
        var ack = await socket.SendMessageAsync(room.Id, "after-garbage", "still here").Within();
        var events = (await bob.Http.GetHistoryAsync(room.Id).Within()).Events;
        Assert.Equal(new[] { EventKinds.RoomCreated, EventKinds.Message }, events.Select(e => e.Kind));
        Assert.Equal(ack.Id, events[1].Id);
        Assert.Null(socket.CloseCode);
    }

    [Fact]
    public async Task An_unknown_frame_type_is_unknown_type_with_the_request_id_echoed()
    {
        var (alice, bob, room) = await DirectRoomAsync(_server);
        await using var socket = await alice.ConnectAsync().Within();

        await socket.SendRawAsync($$"""{"type":"dance","id":"req-7","room":{{room.Id}},"text":"cha cha"}""").Within();
        var dance = await NextErrorAsync(socket);
        Assert.Equal((ErrorCodes.UnknownType, "req-7"), (dance.Code, dance.Id));

        await socket.SendRawAsync("""{"id":"req-8"}""").Within();
        var typeless = await NextErrorAsync(socket);
        Assert.Equal((ErrorCodes.UnknownType, "req-8"), (typeless.Code, typeless.Id));

        await socket.SendRawAsync("""{"type":"SEND","id":"req-9"}""").Within();
        var shouting = await NextErrorAsync(socket);
        Assert.Equal((ErrorCodes.UnknownType, "req-9"), (shouting.Code, shouting.Id));

        await socket.PingAsync().Within();
        await AssertNothingButRoomCreated(bob, room.Id);
    }

    [Fact]
    public async Task Wrong_field_types_in_a_frame_are_a_bad_frame_and_nothing_is_stored()
    {
        var (alice, bob, room) = await DirectRoomAsync(_server);
        await using var socket = await alice.ConnectAsync().Within();
        long r = room.Id;

        string[] frames =
        [
            """{"type":"send","id":"w1","room":"abc","client_msg_id":"w1","text":"room as text"}""",
            $$"""{"type":"send","id":"w2","room":"{{r}}","client_msg_id":"w2","text":"room as quoted number"}""",
            $$"""{"type":"send","id":"w3","room":{{r}}.5,"client_msg_id":"w3","text":"fractional room"}""",
            $$"""{"type":"send","id":"w4","room":{{r}},"client_msg_id":4,"text":"numeric client id"}""",
            $$"""{"type":"send","id":"w5","room":{{r}},"client_msg_id":"w5","text":["an","array"]}""",
            $$"""{"type":"send","id":"w6","room":{{r}},"client_msg_id":"w6","text":"x","reply_to":true}""",
            $$"""{"type":"history","id":"w7","room":{{r}},"limit":"10"}""",
            $$"""{"type":7,"id":"w8","room":{{r}}}""",
            $$"""{"type":"send","id":9,"room":{{r}},"client_msg_id":"w9","text":"numeric request id"}""",
        ];
        foreach (string frame in frames)
        {
            await socket.SendRawAsync(frame).Within();
            var error = await NextErrorAsync(socket);
            Assert.True(error.Code == ErrorCodes.BadFrame, $"frame {frame}: {error.Code}");
        }

        await socket.PingAsync().Within();
        await AssertNothingButRoomCreated(bob, room.Id);
    }

    [Fact]
    public async Task A_frame_over_the_size_limit_is_frame_too_large_and_closes_the_connection_with_4009()
    {
        var (alice, bob, room) = await DirectRoomAsync(_small);
        await using var socket = await alice.ConnectAsync().Within();
        Assert.Equal(MaxFrameBytes, socket.Hello.MaxFrameBytes);

        // Exactly the limit (padded with JSON whitespace) is an ordinary frame.
        await socket.SendRawAsync(Padded($$"""{"type":"send","id":"fit","room":{{room.Id}},"client_msg_id":"fit","text":"fits exactly"}""", MaxFrameBytes)).Within();
        var echoed = await Wait.ForEventsAsync(socket.Events, 1, e => e.Kind == EventKinds.Message);
        Assert.Equal("fits exactly", echoed[0].Text);
        var fitted = (await bob.Http.GetHistoryAsync(room.Id).Within()).Events;
        Assert.Equal(echoed[0].Id, fitted[^1].Id);

        await socket.SendRawAsync(Padded($$"""{"type":"send","id":"big","room":{{room.Id}},"client_msg_id":"big","text":"one byte too many"}""", MaxFrameBytes + 1)).Within();
        var error = await NextErrorAsync(socket);
        Assert.Equal((ErrorCodes.FrameTooLarge, (string?)null), (error.Code, error.Id));
        await socket.Completion.Within();
        Assert.Equal((CloseCodes.FrameTooLarge, "frame_too_large"), (socket.CloseCode, socket.CloseDescription));

        var events = (await bob.Http.GetHistoryAsync(room.Id).Within()).Events;
        Assert.Equal(fitted.Select(e => e.Id), events.Select(e => e.Id));

        // The user is not punished beyond that connection.
        await using var again = await alice.ConnectAsync().Within();
        await again.SendMessageAsync(room.Id, "again", "reconnected").Within();
    }

    private static LimeServer OverKestrel(TestBackend backend)
    {
        var server = new LimeServer(backend);
        server.UseKestrel(0);
        return server;
    }

    /// <summary>Connects with the SDK's own ClientWebSocket (no in-memory connector).</summary>
    private static Task<LimeSocket> ConnectOverNetworkAsync(Uri uri, string? token, string? origin) =>
        LimeSocket.ConnectAsync(uri, token, new LimeSocketOptions { Origin = origin, HeartbeatInterval = TimeSpan.Zero }).Within();

    private static async Task<(TestUser Alice, TestUser Bob, RoomDto Room)> DirectRoomAsync(LimeServer server)
    {
        var alice = await server.NewUserAsync("alice").Within();
        var bob = await server.NewUserAsync("bob").Within();
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();
        return (alice, bob, room);
    }

    private static async Task AssertNothingButRoomCreated(TestUser reader, long roomId)
    {
        var page = await reader.Http.GetHistoryAsync(roomId).Within();
        var only = Assert.Single(page.Events);
        Assert.Equal((EventKinds.RoomCreated, 1L), (only.Kind, only.Seq));
        Assert.Equal(1, (await reader.Http.GetRoomAsync(roomId).Within()).LastSeq);
    }

    private static async Task<ErrorFrame> NextErrorAsync(LimeSocket socket) => await socket.Errors.ReadAsync().AsTask().Within();

    /// <summary>Pads a JSON object with spaces before its closing brace to exactly <paramref name="bytes"/> UTF-8 bytes.</summary>
    private static string Padded(string json, int bytes) =>
        json[..^1] + new string(' ', bytes - Encoding.UTF8.GetByteCount(json)) + "}";

    /// <summary>A request through the raw HTTP stack: the status and the <c>code</c> of the problem body (null if none).</summary>
    private static async Task<(HttpStatusCode Status, string? Code)> RawAsync(
        LimeServer server, HttpMethod method, string path, string? token, string? json = null, string mediaType = "application/json")
    {
        using var http = server.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, mediaType);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request).Within();
        string body = await response.Content.ReadAsStringAsync().Within();
        try
        {
            using var doc = JsonDocument.Parse(body);
            return (response.StatusCode, doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null);
        }
        catch (JsonException)
        {
            return (response.StatusCode, null);
        }
    }

    private static async Task<LimeApiException> AssertApiError(int status, string code, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<LimeApiException>(() => call().Within());
        Assert.Equal((status, code), (e.Status, e.Code));
        return e;
    }
}

public sealed class SqliteBadInputTests() : BadInputTests(TestBackend.Sqlite);

public sealed class PostgresBadInputTests() : BadInputTests(TestBackend.PostgresRedis);
