using System.Net;
using System.Net.Http.Json;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Admin;

/// <summary>
/// The admin API (/api/admin) on both backends: every route refuses a non-admin with 403 and does nothing, every call
/// (allowed or refused) is in the audit with its outcome, and bad input gets its ProblemDetails code with nothing done.
/// The first user registered on the fresh store (id 1) is the configured administrator.
/// </summary>
public abstract class AdminApiTests(TestBackend backend) : IAsyncLifetime
{
    private readonly LimeServer _server = new(backend, new Dictionary<string, string?> { ["Lime:Push:AdminUserIds:0"] = "1", ["Lime:Retention:BatchSize"] = "3" });
    private TestUser _admin = null!;
    private LimeAdminClient _api = null!;

    public async ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(backend);
        _admin = await _server.NewUserAsync("admin");
        Assert.Equal(1, _admin.Id);
        _api = AdminOf(_admin);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private LimeAdminClient AdminOf(TestUser user) => new(_server.CreateClient(), user.Http);

    /// <summary>Every admin route with a valid request for it (the ids exist).</summary>
    private static (HttpMethod Method, string Path, object? Body)[] Routes(long user, long room) =>
    [
        (HttpMethod.Get, "api/admin/users?q=u", null),
        (HttpMethod.Get, $"api/admin/users/{user}", null),
        (HttpMethod.Post, $"api/admin/users/{user}/disable", null),
        (HttpMethod.Post, $"api/admin/users/{user}/enable", null),
        (HttpMethod.Post, $"api/admin/users/{user}/logout", null),
        (HttpMethod.Delete, $"api/admin/users/{user}", null),
        (HttpMethod.Get, "api/admin/rooms?q=r", null),
        (HttpMethod.Get, $"api/admin/rooms/{room}", null),
        (HttpMethod.Delete, $"api/admin/rooms/{room}", null),
        (HttpMethod.Post, $"api/admin/rooms/{room}/purge", new PurgeRequest(BeforeSeq: 2)),
        (HttpMethod.Get, "api/admin/stats", null),
        (HttpMethod.Get, "api/admin/audit", null),
        (HttpMethod.Get, "api/admin/outbox/dead-letters", null),
        (HttpMethod.Post, "api/admin/outbox/dead-letters/requeue", new RequeueRequest(null)),
        (HttpMethod.Get, "api/admin/push/stats", null),
    ];

    private async Task<(HttpStatusCode Status, string? Code)> CallAsync(TestUser user, HttpMethod method, string path, object? body)
    {
        using var http = _server.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", user.Tokens.AccessToken);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: LimeJsonContext.Default.Options);
        }

        using var response = await http.SendAsync(request);
        if (response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null);
        }

        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return (response.StatusCode, problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Every_admin_route_refuses_a_non_admin_with_403_does_nothing_and_records_the_refusal()
    {
        var mallory = await _server.NewUserAsync("mallory");
        var victim = await _server.NewUserAsync("victim");
        var room = await victim.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "rvictims"));
        await victim.Http.SendAsync(room.Id, new SendMessageRequest("c1", "keep me"));
        await using var socket = await victim.ConnectAsync();

        var routes = Routes(victim.Id, room.Id);
        foreach (var (method, path, body) in routes)
        {
            Assert.Equal((HttpStatusCode.Forbidden, ErrorCodes.Forbidden), await CallAsync(mallory, method, path, body));
        }

        // Nothing was done: the victim is enabled, logged in, still in the room with its history.
        var me = await victim.Http.GetMeAsync();
        Assert.Equal(victim.Tokens.User.Username, me.Username);
        Assert.Equal(2, (await victim.Http.GetHistoryAsync(room.Id)).Events.Length);
        Assert.Null((await _api.GetUserAsync(victim.Id)).DisabledAt);
        await socket.PingAsync().Within();

        // Each refusal is in the audit, by mallory, with its route and outcome.
        var audit = (await _api.ListAuditAsync(limit: 200)).Entries.Where(e => e.AdminId == mallory.Id).ToList();
        Assert.Equal(routes.Length, audit.Count);
        Assert.All(audit, e => Assert.Equal((ErrorCodes.Forbidden, 403), (e.Outcome, e.Status)));
        Assert.Contains(audit, e => e.Action == "POST /api/admin/users/{id:long}/disable" && e.Target == $"user:{victim.Id}");
        var purge = audit.Single(e => e.Action == "POST /api/admin/rooms/{id:long}/purge");
        Assert.Equal(($"room:{room.Id}", "{\"body\":{\"before_seq\":2}}"), (purge.Target, purge.Parameters));
    }

    [Fact]
    public async Task Every_admin_route_works_for_the_admin_and_is_audited_with_its_outcome()
    {
        var victim = await _server.NewUserAsync("victim");
        var room = await victim.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "rvictims"));
        await victim.Http.SendAsync(room.Id, new SendMessageRequest("c1", "one"));
        var routes = Routes(victim.Id, room.Id);
        // Purge before deleting the room, and delete the user last.
        var ordered = routes.Where(r => !r.Path.EndsWith($"/{victim.Id}", StringComparison.Ordinal) || r.Method != HttpMethod.Delete)
            .OrderBy(r => r.Method == HttpMethod.Delete && r.Path.Contains("/rooms/", StringComparison.Ordinal) ? 1 : 0)
            .Append(routes.Single(r => r.Method == HttpMethod.Delete && r.Path == $"api/admin/users/{victim.Id}"))
            .ToList();
        foreach (var (method, path, body) in ordered)
        {
            var (status, code) = await CallAsync(_admin, method, path, body);
            Assert.True(code is null, $"{method} {path}: {status} {code}");
        }

        var audit = (await _api.ListAuditAsync(limit: 200)).Entries.Where(e => e.AdminId == _admin.Id && e.Action != "GET /api/admin/audit").ToList();
        // The audit read itself is the one call made before this listing; every other route is there once, ok.
        Assert.Equal(routes.Length - 1, audit.Count);
        Assert.All(audit, e => Assert.Equal("ok", e.Outcome));
        Assert.Equal(routes.Length - 1, audit.Select(e => e.Action).Distinct().Count());
    }

    [Fact]
    public async Task Find_disable_enable_and_logout_a_user()
    {
        var bob = await _server.NewUserAsync("bobby");
        var bobPhone = await bob.NewDeviceAsync("phone");
        await using var socket = await bob.ConnectAsync();

        var byPrefix = await _api.FindUsersAsync("bobby");
        Assert.Equal(bob.Id, Assert.Single(byPrefix.Users).Id);
        Assert.Equal(2, byPrefix.Users[0].LiveDevices);
        Assert.Contains((await _api.FindUsersAsync(bob.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))).Users, u => u.Id == bob.Id);
        Assert.Empty((await _api.FindUsersAsync("nobody_")).Users); // '_' is literal, not a wildcard

        var disabled = await _api.DisableUserAsync(bob.Id);
        Assert.NotNull(disabled.DisabledAt);
        Assert.Equal(0, disabled.LiveDevices);
        await socket.Completion.Within();
        Assert.Equal(CloseCodes.SessionRevoked, socket.CloseCode);
        Assert.Equal(401, (await Assert.ThrowsAsync<LimeApiException>(() => bob.Http.GetMeAsync())).Status);
        var login = await Assert.ThrowsAsync<LimeApiException>(() => bob.NewDeviceAsync());
        Assert.Equal((403, ErrorCodes.AccountDisabled), (login.Status, login.Code));
        var refresh = await Assert.ThrowsAsync<LimeApiException>(() => bobPhone.Http.RefreshAsync(bobPhone.Tokens.RefreshToken));
        Assert.Equal(401, refresh.Status);

        Assert.Null((await _api.EnableUserAsync(bob.Id)).DisabledAt);
        var again = await bob.NewDeviceAsync("again");
        var third = await bob.NewDeviceAsync("third");
        var logout = await _api.LogoutUserAsync(bob.Id);
        Assert.Equal(2, logout.DevicesLoggedOut);
        Assert.Equal(401, (await Assert.ThrowsAsync<LimeApiException>(() => again.Http.GetMeAsync())).Status);
        Assert.Equal(401, (await Assert.ThrowsAsync<LimeApiException>(() => third.Http.GetMeAsync())).Status);
    }

    [Fact]
    public async Task Find_inspect_and_delete_a_room()
    {
        var owner = await _server.NewUserAsync("owner");
        var member = await _server.NewUserAsync("member");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "Quarterly plans", Members: [member.Id]));
        await owner.Http.SendAsync(room.Id, new SendMessageRequest("c1", "hello"));

        var found = Assert.Single((await _api.FindRoomsAsync("quarterly")).Rooms);
        Assert.Equal(room.Id, found.Id);
        var inspected = await _api.GetRoomAsync(room.Id);
        Assert.Equal((2L, 2L, room.CreatedAt, owner.Id, false, 1L), (inspected.MemberCount, inspected.LastSeq, inspected.CreatedAt, inspected.CreatedBy, inspected.Deleted, inspected.RetainedFrom));

        await using var socket = await member.ConnectAsync();
        await Wait.UntilSubscribedAsync(owner, room.Id, socket);
        await _api.DeleteRoomAsync(room.Id);
        var deleted = await Wait.ForEventsAsync(socket.Events, 1, e => e.Kind == EventKinds.RoomDeleted);
        Assert.Equal(_admin.Id, deleted[0].Sender);
        Assert.Equal(404, (await Assert.ThrowsAsync<LimeApiException>(() => member.Http.GetRoomAsync(room.Id))).Status);
        Assert.True((await _api.GetRoomAsync(room.Id)).Deleted);
        var again = await Assert.ThrowsAsync<LimeApiException>(() => _api.DeleteRoomAsync(room.Id));
        Assert.Equal((404, ErrorCodes.NotFound), (again.Status, again.Code));
    }

    [Fact]
    public async Task Purge_before_a_seq_removes_that_history_keeps_seq_order_and_history_reports_the_retained_start()
    {
        var owner = await _server.NewUserAsync("owner");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "purged"));
        for (int i = 1; i <= 10; i++)
        {
            await owner.Http.SendAsync(room.Id, new SendMessageRequest($"c{i}", $"zebracorn{i} text"));
        }

        await owner.Http.EditMessageAsync(room.Id, 3, "zebracorn3 edited"); // seq 12: an edit event after the cut holding a purged message's text
        var before = await owner.Http.GetHistoryAsync(room.Id, limit: 100);
        Assert.Null(before.RetainedFrom);

        // Past the end, both or neither bound: refused, nothing removed.
        foreach (var bad in new[] { new PurgeRequest(BeforeSeq: 14), new PurgeRequest(), new PurgeRequest(1, 1), new PurgeRequest(BeforeSeq: 0), new PurgeRequest(BeforeTime: -1) })
        {
            var e = await Assert.ThrowsAsync<LimeApiException>(() => _api.PurgeRoomAsync(room.Id, bad));
            Assert.Equal((400, ErrorCodes.Validation), (e.Status, e.Code));
        }

        Assert.Equal(before.Events.Select(e => e.Seq), (await owner.Http.GetHistoryAsync(room.Id, limit: 100)).Events.Select(e => e.Seq));
        var unknown = await Assert.ThrowsAsync<LimeApiException>(() => _api.PurgeRoomAsync(999_999, new PurgeRequest(BeforeSeq: 1)));
        Assert.Equal(404, unknown.Status);

        // Seqs 1-6 go: room_created and messages 1-5 (seq 2-6), in batches of 3.
        var purged = await _api.PurgeRoomAsync(room.Id, new PurgeRequest(BeforeSeq: 7));
        Assert.Equal((6L, 5L, 7L), (purged.RemovedEvents, purged.RemovedMessages, purged.RetainedFrom));
        Assert.Equal(2, purged.Batches);

        var history = await owner.Http.GetHistoryAsync(room.Id, limit: 100);
        Assert.Equal(7, history.RetainedFrom);
        Assert.False(history.HasMoreBefore);
        Assert.Equal(7, history.Events[0].Seq);
        Assert.All(history.Events.Where(e => e.Kind == EventKinds.Message), e => Assert.DoesNotContain(e.Text!, new[] { "zebracorn1 ", "zebracorn2 ", "zebracorn3", "zebracorn4 ", "zebracorn5 " }));
        // Each batch that removed messages announced the new retained start.
        var announced = history.Events.Where(e => e.Kind == EventKinds.HistoryPurged).Select(e => e.Target).ToArray();
        Assert.Equal([4L, 7L], announced);
        Assert.Null(history.Events.Single(e => e.Kind == EventKinds.MessageEdited).Text);
        var older = await owner.Http.GetHistoryAsync(room.Id, before: 7);
        Assert.Empty(older.Events);
        Assert.False(older.HasMoreBefore);

        // Sync from the start reports it too; new events keep counting from the last seq.
        var sync = Assert.Single((await owner.Http.SyncAsync([new SyncCursor(room.Id, 0)])).Rooms);
        Assert.Equal(7, sync.RetainedFrom);
        Assert.True(sync.Events.Length == 0 || sync.Events[0].Seq >= 7);
        var ack = await owner.Http.SendAsync(room.Id, new SendMessageRequest("c11", "after the purge"));
        Assert.Equal(history.Events[^1].Seq + 1, ack.Seq);

        // Search entries of the purged messages are gone, the kept ones stay findable.
        await WaitUntilAsync(async () => (await owner.Http.SearchAsync("zebracorn7")).Hits.Length == 1);
        Assert.Empty((await owner.Http.SearchAsync("zebracorn2")).Hits);
        Assert.Empty((await owner.Http.SearchAsync("zebracorn3")).Hits);

        // By time: everything before the message at seq 9.
        var ninth = history.Events.Single(e => e.Seq == 9);
        var byTime = await _api.PurgeRoomAsync(room.Id, new PurgeRequest(BeforeTime: ninth.Ts));
        Assert.True(byTime.RetainedFrom <= 9);
        Assert.All((await owner.Http.GetHistoryAsync(room.Id, limit: 100)).Events, e => Assert.True(e.Seq >= byTime.RetainedFrom && (e.Seq >= 9 || e.Ts >= ninth.Ts)));
    }

    [Fact]
    public async Task Stats_count_users_rooms_messages_per_day_connections_and_the_outbox()
    {
        var alice = await _server.NewUserAsync("alice");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "stats"));
        for (int i = 0; i < 3; i++)
        {
            await alice.Http.SendAsync(room.Id, new SendMessageRequest($"s{i}", "counted"));
        }

        await using var socket = await alice.ConnectAsync();
        var stats = await _api.GetStatsAsync(days: 7);
        Assert.Equal((2L, 1L, 3L), (stats.Users, stats.Rooms, stats.Messages));
        string today = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(3, stats.MessagesPerDay.Single(d => d.Day == today).Messages);
        Assert.True(stats.Connections >= 1);
        Assert.True(stats.OutboxPending >= 0 && stats.OutboxDead == 0);
    }

    [Fact]
    public async Task Bad_input_gets_its_problem_code_and_changes_nothing()
    {
        var bob = await _server.NewUserAsync("bob");
        var cases = new (HttpMethod Method, string Path, HttpStatusCode Status, string Code)[]
        {
            (HttpMethod.Get, "api/admin/users", HttpStatusCode.BadRequest, ErrorCodes.Validation),
            (HttpMethod.Get, "api/admin/users?q=%20", HttpStatusCode.BadRequest, ErrorCodes.Validation),
            (HttpMethod.Get, "api/admin/users?q=" + new string('a', 101), HttpStatusCode.BadRequest, ErrorCodes.Validation),
            (HttpMethod.Get, "api/admin/users?q=b&limit=0", HttpStatusCode.BadRequest, ErrorCodes.Validation),
            (HttpMethod.Get, "api/admin/rooms?q=b&limit=201", HttpStatusCode.BadRequest, ErrorCodes.Validation),
            (HttpMethod.Get, "api/admin/stats?days=0", HttpStatusCode.BadRequest, ErrorCodes.Validation),
            (HttpMethod.Get, "api/admin/audit?cursor=x", HttpStatusCode.BadRequest, ErrorCodes.Validation),
            (HttpMethod.Get, "api/admin/users/999999", HttpStatusCode.NotFound, ErrorCodes.NotFound),
            (HttpMethod.Post, "api/admin/users/999999/disable", HttpStatusCode.NotFound, ErrorCodes.NotFound),
            (HttpMethod.Post, "api/admin/users/999999/logout", HttpStatusCode.NotFound, ErrorCodes.NotFound),
            (HttpMethod.Delete, "api/admin/users/999999", HttpStatusCode.NotFound, ErrorCodes.NotFound),
            (HttpMethod.Get, "api/admin/rooms/999999", HttpStatusCode.NotFound, ErrorCodes.NotFound),
            (HttpMethod.Delete, "api/admin/rooms/999999", HttpStatusCode.NotFound, ErrorCodes.NotFound),
        };
        foreach (var (method, path, status, code) in cases)
        {
            Assert.Equal((status, code), await CallAsync(_admin, method, path, null));
        }

        var direct = await bob.Http.CreateDirectAsync(_admin.Id);
        Assert.Equal((HttpStatusCode.BadRequest, ErrorCodes.Validation), await CallAsync(_admin, HttpMethod.Delete, $"api/admin/rooms/{direct.Id}", null));
        Assert.False((await _api.GetRoomAsync(direct.Id)).Deleted);
        var audit = (await _api.ListAuditAsync(limit: 200)).Entries;
        Assert.Contains(audit, e => e.Outcome == ErrorCodes.NotFound && e.Status == 404 && e.Target == "user:999999");
        Assert.Contains(audit, e => e.Outcome == ErrorCodes.Validation && e.Parameters == "{\"query\":{\"days\":\"0\"}}");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Wait.Default;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}

public sealed class SqliteAdminApiTests() : AdminApiTests(TestBackend.Sqlite);

public sealed class PostgresAdminApiTests() : AdminApiTests(TestBackend.PostgresRedis);
