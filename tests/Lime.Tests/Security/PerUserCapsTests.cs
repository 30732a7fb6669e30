using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Security;

/// <summary>
/// One user cannot take an unbounded share of a node: rooms created per hour (<c>Lime:Limits:RoomsPerHour</c>: 429
/// rate_limited with a retry hint, nothing stored) and open sockets (<c>Lime:Realtime:MaxSocketsPerUser</c>: the new
/// upgrade is refused 429 limit_reached, the open ones are kept). The test server lifts both; these tests set them low.
/// </summary>
public abstract class PerUserCapsTests(TestBackend backend)
{
    [Fact]
    public async Task Rooms_past_RoomsPerHour_are_refused_with_429_and_a_retry_hint_and_nothing_is_stored()
    {
        TestBackends.SkipUnlessSelected(backend);
        await using var server = new LimeServer(backend, new Dictionary<string, string?> { ["Lime:Limits:RoomsPerHour"] = "3" });
        var alice = await server.NewUserAsync("alice").Within();
        var bob = await server.NewUserAsync("bob").Within();
        var carol = await server.NewUserAsync("carol").Within();

        // A group, a channel and a new direct room each cost one.
        await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "one", null, [bob.Id])).Within();
        await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "two", null, null)).Within();
        var direct = await alice.Http.CreateDirectAsync(bob.Id).Within();

        var group = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "four", null, [bob.Id])).Within());
        Assert.Equal((429, ErrorCodes.RateLimited), (group.Status, group.Code));
        // One room back every 20 minutes (an hour / 3).
        Assert.InRange(group.RetryAfter!.Value, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(21));
        var newDirect = await Assert.ThrowsAsync<LimeApiException>(() => alice.Http.CreateDirectAsync(carol.Id).Within());
        Assert.Equal((429, ErrorCodes.RateLimited), (newDirect.Status, newDirect.Code));

        // Opening the existing direct room costs nothing; nothing was stored for the refusals.
        Assert.Equal(direct.Id, (await alice.Http.CreateDirectAsync(bob.Id).Within()).Id);
        Assert.Equal(3, (await alice.Http.ListRoomsAsync().Within()).Rooms.Length);
        Assert.Empty((await carol.Http.ListRoomsAsync().Within()).Rooms);

        // The budget is the user's: bob still creates rooms, including with alice.
        await bob.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "bob's", null, [alice.Id])).Within();
        await bob.Http.CreateDirectAsync(carol.Id).Within();
    }

    [Fact]
    public async Task Past_MaxSocketsPerUser_the_new_upgrade_is_refused_with_429_and_the_open_sockets_keep_working()
    {
        TestBackends.SkipUnlessSelected(backend);
        await using var server = new LimeServer(backend, new Dictionary<string, string?> { ["Lime:Realtime:MaxSocketsPerUser"] = "3" });
        var alice = await server.NewUserAsync("alice").Within();
        var phone = await alice.NewDeviceAsync("phone").Within();
        var bob = await server.NewUserAsync("bob").Within();
        var room = await alice.Http.CreateDirectAsync(bob.Id).Within();

        // Three sockets over two devices: the cap is per user, not per device.
        var open = new List<LimeSocket> { await alice.ConnectAsync().Within(), await alice.ConnectAsync().Within(), await phone.ConnectAsync().Within() };
        try
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => phone.ConnectAsync().Within());
            Assert.Contains("429", refused.Message, StringComparison.Ordinal);

            // What a client sees at the upgrade: 429, a problem with code limit_reached.
            using var http = server.CreateClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, "ws");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", alice.Tokens.AccessToken);
            using var answer = await http.SendAsync(request).Within();
            Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
            using (var problem = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()))
            {
                Assert.Equal(ErrorCodes.LimitReached, problem.RootElement.GetProperty("code").GetString());
            }

            // The open ones are untouched and still receive; another user connects as usual.
            await using (var bobSocket = await bob.ConnectAsync().Within())
            {
                await bobSocket.SendMessageAsync(room.Id, "m1", "still there?").Within();
            }

            foreach (var socket in open)
            {
                await socket.PingAsync().Within();
                Assert.Null(socket.CloseCode);
            }

            // One closed gives its place back (once the server has seen it end).
            await open[0].CloseAsync().Within();
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            LimeSocket? again = null;
            for (var deadline = DateTime.UtcNow + Wait.Default; again is null; await Task.Delay(50))
            {
                try
                {
                    again = await phone.ConnectAsync().Within();
                }
                catch (InvalidOperationException) when (DateTime.UtcNow < deadline)
                {
                    // The server has not finished the closed one yet.
                }
            }

            open.Add(again);
            await again.PingAsync().Within();
        }
        finally
        {
            foreach (var socket in open)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_device_session_cache_holds_at_most_SessionCacheEntries_and_a_revoked_device_stays_refused_when_it_is_pushed_out()
    {
        TestBackends.SkipUnlessSelected(backend);
        await using var server = new LimeServer(backend, new Dictionary<string, string?> { ["Lime:Auth:SessionCacheEntries"] = "100" });
        var alice = await server.NewUserAsync("alice").Within();
        var laptop = await alice.NewDeviceAsync("laptop").Within();
        var sessions = server.Services.GetRequiredService<DeviceSessions>();

        // Tokens naming 2,000 devices (most of them unknown) are asked about: each answer is cached, within the bound.
        for (long device = 1; device <= 2_000; device++)
        {
            await sessions.IsLiveAsync(device, alice.Id, CancellationToken.None).AsTask().Within();
            Assert.InRange(sessions.Count, 0, 100);
        }

        Assert.True(await sessions.IsLiveAsync(laptop.Tokens.DeviceId, alice.Id, CancellationToken.None));
        await laptop.Http.LogoutAsync().Within();
        Assert.False(await sessions.IsLiveAsync(laptop.Tokens.DeviceId, alice.Id, CancellationToken.None));

        // The revocation is pushed out of the cache by other devices' lookups: the store still refuses the device.
        for (long device = 2_001; device <= 2_300; device++)
        {
            await sessions.IsLiveAsync(device, alice.Id, CancellationToken.None).AsTask().Within();
        }

        Assert.InRange(sessions.Count, 0, 100);
        Assert.False(await sessions.IsLiveAsync(laptop.Tokens.DeviceId, alice.Id, CancellationToken.None));
        await Assert.ThrowsAsync<LimeApiException>(() => laptop.Http.GetMeAsync().Within());
        Assert.Equal(alice.Id, (await alice.Http.GetMeAsync().Within()).Id);
    }
}

public sealed class SqlitePerUserCapsTests() : PerUserCapsTests(TestBackend.Sqlite);

public sealed class PostgresPerUserCapsTests() : PerUserCapsTests(TestBackend.PostgresRedis);
