using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public abstract class DeliveryTests(TestBackend backend) : IAsyncLifetime
{
    /// <summary>The backend this run of the suite is on (one subclass per backend, at the end of the file).</summary>
    protected TestBackend Backend { get; } = backend;

    private readonly LimeServer _server = new(backend);

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(Backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_member_on_two_devices_receives_on_both_and_the_senders_other_device_too()
    {
        var alice = await _server.NewUserAsync();
        var bob = await _server.NewUserAsync();
        var bobPhone = await bob.NewDeviceAsync("phone");
        var alicePhone = await alice.NewDeviceAsync("phone");
        var room = await alice.Http.CreateDirectAsync(bob.Id);

        await using var aliceDesk = await alice.ConnectAsync();
        await using var aliceMobile = await alicePhone.ConnectAsync();
        await using var bobDesk = await bob.ConnectAsync();
        await using var bobMobile = await bobPhone.ConnectAsync();

        var ack = await aliceDesk.SendMessageAsync(room.Id, "m1", "안녕하세요 hello");

        foreach (var socket in new[] { bobDesk, bobMobile, aliceMobile, aliceDesk })
        {
            var e = (await Wait.ForEventsAsync(socket.Events, 1, e => e.Kind == EventKinds.Message)).Single();
            Assert.Equal((ack.Id, ack.Seq, "안녕하세요 hello", alice.Id), (e.Id, e.Seq, e.Text, e.Sender));
        }
    }

    [Fact]
    public async Task A_non_member_is_forbidden_on_every_room_operation_and_receives_nothing()
    {
        var alice = await _server.NewUserAsync();
        var bob = await _server.NewUserAsync();
        var eve = await _server.NewUserAsync("eve");
        var direct = await alice.Http.CreateDirectAsync(bob.Id);
        var group = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "private", Members: [bob.Id]));
        await using var eveSocket = await eve.ConnectAsync();

        foreach (var room in new[] { direct, group })
        {
            await AssertForbidden(() => eve.Http.SendAsync(room.Id, new SendMessageRequest("x", "let me in")));
            await AssertForbidden(() => eve.Http.GetHistoryAsync(room.Id));
            await AssertForbidden(() => eve.Http.GetAroundAsync(room.Id, 1));
            await AssertForbidden(() => eve.Http.GetRoomAsync(room.Id));
            await AssertForbidden(() => eve.Http.ListMembersAsync(room.Id));
            await AssertForbidden(() => eve.Http.AddMembersAsync(room.Id, eve.Id));
            await AssertForbidden(() => eve.Http.RemoveMemberAsync(room.Id, bob.Id));
            await AssertForbidden(() => eve.Http.SetRoleAsync(room.Id, bob.Id, Roles.Admin));
            await AssertForbidden(() => eve.Http.LeaveAsync(room.Id));
            await AssertForbidden(() => eve.Http.JoinAsync(room.Id));

            var send = await Assert.ThrowsAsync<LimeSocketException>(() => eveSocket.SendMessageAsync(room.Id, "y", "socket"));
            Assert.Equal(ErrorCodes.Forbidden, send.Code);
            var history = await Assert.ThrowsAsync<LimeSocketException>(() => eveSocket.HistoryAsync(room.Id));
            Assert.Equal(ErrorCodes.Forbidden, history.Code);
        }

        await alice.Http.SendAsync(direct.Id, new SendMessageRequest("a", "secret 1"));
        await alice.Http.SendAsync(group.Id, new SendMessageRequest("b", "secret 2"));
        Assert.Null(await Wait.ForAnyEventAsync(eveSocket.Events, TimeSpan.FromMilliseconds(500)));

        // Nothing eve tried was stored.
        var history1 = await bob.Http.GetHistoryAsync(direct.Id);
        var history2 = await bob.Http.GetHistoryAsync(group.Id);
        Assert.DoesNotContain(history1.Events.Concat(history2.Events), e => e.Sender == eve.Id);
        Assert.Equal(2, (await bob.Http.ListMembersAsync(group.Id)).Members.Length);
    }

    private static async Task AssertForbidden(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<LimeApiException>(call);
        Assert.Equal((403, ErrorCodes.Forbidden), (e.Status, e.Code));
    }
}

public sealed class SqliteDeliveryTests() : DeliveryTests(TestBackend.Sqlite);

public sealed class PostgresDeliveryTests() : DeliveryTests(TestBackend.PostgresRedis);
