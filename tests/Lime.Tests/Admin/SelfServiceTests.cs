using System.Text.Json;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Admin;

/// <summary>Self-service on both backends: devices (a lost phone), the streamed export, account deletion (own and by an admin).</summary>
public abstract class SelfServiceTests(TestBackend backend) : IAsyncLifetime
{
    private readonly LimeServer _server = new(backend, new Dictionary<string, string?> { ["Lime:Push:AdminUserIds:0"] = "1", ["Lime:Retention:BatchSize"] = "50" });

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_lost_phone_is_logged_out_from_another_device_its_socket_closed_and_its_tokens_refused()
    {
        var laptop = await _server.NewUserAsync("alice");
        var phone = await laptop.NewDeviceAsync("phone");
        var other = await _server.NewUserAsync("other");
        await using var phoneSocket = await phone.ConnectAsync();

        var devices = await laptop.Http.ListDevicesAsync();
        Assert.Equal(2, devices.Length);
        Assert.True(devices.Single(d => d.Id == laptop.Tokens.DeviceId).Current);

        // Someone else's device, an unknown one: not found, nothing done.
        foreach (long id in new[] { other.Tokens.DeviceId, 999_999 })
        {
            var e = await Assert.ThrowsAsync<LimeApiException>(() => laptop.Http.RevokeDeviceAsync(id));
            Assert.Equal((404, ErrorCodes.NotFound), (e.Status, e.Code));
        }

        await other.Http.GetMeAsync();
        await laptop.Http.RevokeDeviceAsync(phone.Tokens.DeviceId);
        await phoneSocket.Completion.Within();
        Assert.Equal((CloseCodes.SessionRevoked, "logged_out"), (phoneSocket.CloseCode, phoneSocket.CloseDescription));
        Assert.Equal(401, (await Assert.ThrowsAsync<LimeApiException>(() => phone.Http.GetMeAsync())).Status);
        Assert.Equal(401, (await Assert.ThrowsAsync<LimeApiException>(() => phone.Http.RefreshAsync(phone.Tokens.RefreshToken))).Status);
        Assert.Equal(laptop.Tokens.DeviceId, Assert.Single(await laptop.Http.ListDevicesAsync()).Id);
        var again = await Assert.ThrowsAsync<LimeApiException>(() => laptop.Http.RevokeDeviceAsync(phone.Tokens.DeviceId));
        Assert.Equal(404, again.Status);
    }

    [Fact]
    public async Task The_export_of_a_large_account_streams_every_readable_room_and_message()
    {
        var alice = await _server.NewUserAsync("alice");
        var bob = await _server.NewUserAsync("bob");
        var shared = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "shared", Members: [bob.Id]));
        var direct = await alice.Http.CreateDirectAsync(bob.Id);
        var notMine = await bob.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "bob only"));
        await bob.Http.SendAsync(notMine.Id, new SendMessageRequest("secret", "not alice's to read"));
        string filler = new('x', 1000);
        const int perRoom = 700; // 1,400 messages of ~1 KB: more than one page of the export per room
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            for (int i = worker; i < perRoom; i += 8)
            {
                await alice.Http.SendAsync(shared.Id, new SendMessageRequest($"s{i}", $"shared {i} {filler}"));
                await bob.Http.SendAsync(direct.Id, new SendMessageRequest($"d{i}", $"direct {i} {filler}"));
            }
        }));

        await using var stream = await alice.Http.OpenExportAsync();
        using var doc = await JsonDocument.ParseAsync(stream);
        var root = doc.RootElement;
        Assert.Equal("lime-export-1", root.GetProperty("format").GetString());
        Assert.Equal(alice.Id, root.GetProperty("user").GetProperty("id").GetInt64());
        var rooms = root.GetProperty("rooms").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetInt64());
        Assert.Equal(new[] { shared.Id, direct.Id }.Order(), rooms.Keys.Order());
        Assert.DoesNotContain(notMine.Id, rooms.Keys);
        foreach (var (id, prefix) in new[] { (shared.Id, "shared "), (direct.Id, "direct ") })
        {
            var events = rooms[id].GetProperty("events").EnumerateArray().ToList();
            var texts = events.Where(e => e.GetProperty("kind").GetString() == EventKinds.Message).Select(e => e.GetProperty("text").GetString()!).ToList();
            Assert.Equal(perRoom, texts.Count);
            Assert.All(texts, t => Assert.StartsWith(prefix, t, StringComparison.Ordinal));
            var seqs = events.Select(e => e.GetProperty("seq").GetInt64()).ToList();
            Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs); // every event, in seq order
        }
    }

    [Fact]
    public async Task Deleting_an_account_needs_the_password_and_leaves_no_readable_personal_data()
    {
        var admin = await _server.NewUserAsync("admin");
        var alice = await _server.NewUserAsync("alice");
        var bob = await _server.NewUserAsync("bob");
        var carol = await _server.NewUserAsync("carol");
        var group = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "alice's group", Members: [bob.Id, carol.Id]));
        await alice.Http.SetRoleAsync(group.Id, carol.Id, Roles.Admin);
        var direct = await alice.Http.CreateDirectAsync(bob.Id);
        await alice.Http.SendAsync(group.Id, new SendMessageRequest("g1", "quokkaphone number 555"));
        var edited = await alice.Http.SendAsync(group.Id, new SendMessageRequest("g2", "quokkaaddress draft"));
        await alice.Http.EditMessageAsync(group.Id, edited.Seq, "quokkaaddress 1 Main St");
        await alice.Http.SendAsync(direct.Id, new SendMessageRequest("d1", "quokkasecret for bob"));
        await bob.Http.SendAsync(group.Id, new SendMessageRequest("b1", "bob stays"));
        await bob.Http.AddContactAsync(alice.Id);
        await alice.Http.AddContactAsync(bob.Id);
        await WaitUntilAsync(async () => (await bob.Http.SearchAsync("quokkasecret")).Hits.Length == 1);
        await using var bobSocket = await bob.ConnectAsync();
        await using var aliceSocket = await alice.ConnectAsync();
        await Wait.UntilSubscribedAsync(bob, group.Id, bobSocket);

        var noPassword = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.DeleteAccountAsync(""));
        Assert.Equal((400, ErrorCodes.Validation), (noPassword.Status, noPassword.Code));
        var wrong = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.DeleteAccountAsync("not the password"));
        Assert.Equal((403, ErrorCodes.Forbidden), (wrong.Status, wrong.Code));
        Assert.Equal(alice.Tokens.User.Username, (await alice.Http.GetMeAsync()).Username); // nothing done

        await alice.Http.DeleteAccountAsync("correct horse battery");
        await aliceSocket.Completion.Within();
        Assert.Equal(CloseCodes.SessionRevoked, aliceSocket.CloseCode);

        // Ownership passed by the leave rules (the longest-standing admin), and the members saw it.
        var seen = await Wait.ForEventsAsync(bobSocket.Events, 2, e => e.Room == group.Id && e.Kind is EventKinds.MemberLeft or EventKinds.RoleChanged);
        Assert.Equal([alice.Id], seen.Single(e => e.Kind == EventKinds.MemberLeft).Users!);
        var promoted = seen.Single(e => e.Kind == EventKinds.RoleChanged);
        Assert.Equal([carol.Id], promoted.Users!);
        Assert.Equal(Roles.Owner, promoted.Role);

        // No readable personal data: not the name, not the texts (history, edits, search, others' exports), not the contact.
        var profile = await bob.Http.GetUserAsync(alice.Id);
        Assert.Equal(($"deleted-{alice.Id}", "Deleted account"), (profile.Username, profile.DisplayName));
        Assert.Equal(404, (await Assert.ThrowsAsync<LimeApiException>(() => bob.Http.GetUserByUsernameAsync(alice.Tokens.User.Username))).Status);
        var login = await Assert.ThrowsAsync<LimeApiException>(() => alice.NewDeviceAsync());
        Assert.Equal(401, login.Status);
        foreach (var room in new[] { group.Id, direct.Id })
        {
            var history = await bob.Http.GetHistoryAsync(room, limit: 100);
            Assert.DoesNotContain(history.Events, e => e.Text?.Contains("quokka", StringComparison.Ordinal) == true);
            Assert.All(history.Events.Where(e => e.Kind == EventKinds.Message && e.Sender == alice.Id), e => Assert.True(e.Deleted));
        }

        Assert.Contains((await bob.Http.GetHistoryAsync(group.Id, limit: 100)).Events, e => e.Text == "bob stays");
        await WaitUntilAsync(async () => (await bob.Http.SearchAsync("quokkasecret")).Hits.Length == 0);
        await WaitUntilAsync(async () => (await bob.Http.SearchAsync("quokkaaddress")).Hits.Length == 0);
        await WaitUntilAsync(async () => (await bob.Http.SearchAsync("quokkaphone")).Hits.Length == 0);
        Assert.DoesNotContain(await bob.Http.ListContactsAsync(), c => c.UserId == alice.Id);
        await using (var export = await bob.Http.OpenExportAsync())
        {
            string text = await new StreamReader(export).ReadToEndAsync();
            Assert.DoesNotContain("quokka", text, StringComparison.Ordinal);
            Assert.DoesNotContain(alice.Tokens.User.Username, text, StringComparison.Ordinal);
        }

        var adminView = await new LimeAdminClient(_server.CreateClient(), admin.Http).GetUserAsync(alice.Id);
        Assert.True(adminView.Deleted);
        Assert.Equal(0, adminView.LiveDevices);
    }

    [Fact]
    public async Task An_admin_deleting_a_group_owner_passes_ownership_and_a_second_delete_is_not_found()
    {
        var admin = await _server.NewUserAsync("admin");
        var owner = await _server.NewUserAsync("owner");
        var member = await _server.NewUserAsync("member");
        var group = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "owned", Members: [member.Id]));
        await owner.Http.SendAsync(group.Id, new SendMessageRequest("o1", "owner's words"));
        var api = new LimeAdminClient(_server.CreateClient(), admin.Http);

        await api.DeleteUserAsync(owner.Id);
        var members = await member.Http.ListMembersAsync(group.Id);
        Assert.Equal((member.Id, Roles.Owner), (Assert.Single(members.Members).UserId, members.Members[0].Role));
        Assert.DoesNotContain((await member.Http.GetHistoryAsync(group.Id)).Events, e => e.Text == "owner's words");
        var again = await Assert.ThrowsAsync<LimeApiException>(() => api.DeleteUserAsync(owner.Id));
        Assert.Equal((404, ErrorCodes.NotFound), (again.Status, again.Code));
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

public sealed class SqliteSelfServiceTests() : SelfServiceTests(TestBackend.Sqlite);

public sealed class PostgresSelfServiceTests() : SelfServiceTests(TestBackend.PostgresRedis);
