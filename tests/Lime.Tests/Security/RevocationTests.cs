using System.Diagnostics;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Storage;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Security;

/// <summary>
/// An ended device session ends on every node: published through the relay (Redis), so each node closes the device's
/// sockets and refuses its access token at once, not when its cached answer expires; and a revocation that never
/// reached a node (lost on the way) still closes the device's sockets there at the next session recheck.
/// </summary>
public sealed class RevocationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Logout_on_node_1_closes_the_device_socket_on_node_2_and_its_token_is_refused_there_at_once()
    {
        TestBackends.SkipUnlessSelected(TestBackend.PostgresRedis);
        string database = await SharedServices.NewDatabaseAsync().Within(TimeSpan.FromMinutes(2));
        var redis = await SharedServices.NewRedisSliceAsync().Within();
        string key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        try
        {
            // A cached "live" is trusted for 10 minutes and sockets are never rechecked: only the relay can end the
            // session on node 2 within this test.
            Dictionary<string, string?> Node(int id) => new()
            {
                ["Lime:NodeId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Lime:Storage:Provider"] = "postgres",
                ["Lime:Storage:PostgresConnectionString"] = database,
                ["Lime:Fanout:Provider"] = "redis",
                ["Lime:Redis:Configuration"] = redis.Configuration,
                ["Lime:Auth:SigningKey"] = key,
                ["Lime:Auth:SessionCacheSeconds"] = "600",
                ["Lime:Auth:SessionRecheckSeconds"] = "3600",
                ["Lime:Auth:RefreshReuseGraceSeconds"] = "0",
            };
            await using var node1 = new LimeServer(TestBackend.Sqlite, Node(1));
            await using var node2 = new LimeServer(TestBackend.Sqlite, Node(2));

            var alice = await node1.NewUserAsync("alice").Within();
            var tablet = await alice.NewDeviceAsync("tablet").Within();
            var onNode2 = new LimeHttpClient(node2.CreateClient()) { AccessToken = alice.Tokens.AccessToken };
            var tabletOnNode2 = new LimeHttpClient(node2.CreateClient()) { AccessToken = tablet.Tokens.AccessToken };

            // Node 2 has seen the laptop's token (and cached it as live) and holds a socket of each device.
            Assert.Equal(alice.Id, (await onNode2.GetMeAsync().Within()).Id);
            await using var laptopSocket = await node2.ConnectAsync(alice.Tokens.AccessToken).Within();
            await using var tabletSocket = await node2.ConnectAsync(tablet.Tokens.AccessToken).Within();
            await laptopSocket.PingAsync().Within();

            var clock = Stopwatch.StartNew();
            await alice.Http.LogoutAsync().Within(); // on node 1
            await laptopSocket.Completion.Within();
            output.WriteLine($"logout on node 1 -> socket on node 2 closed: {clock.Elapsed.TotalMilliseconds:F1} ms (stated bound 1 s)");
            Assert.Equal((CloseCodes.SessionRevoked, "logged_out"), (laptopSocket.CloseCode, laptopSocket.CloseDescription));

            // The token node 2 had cached as live for 10 minutes is refused there now, on REST and at the upgrade.
            var refused = await Assert.ThrowsAsync<LimeApiException>(() => onNode2.GetMeAsync().Within());
            Assert.Equal((401, ErrorCodes.Unauthenticated), (refused.Status, refused.Code));
            var upgrade = await Assert.ThrowsAsync<InvalidOperationException>(() => node2.ConnectAsync(alice.Tokens.AccessToken).Within());
            Assert.Contains("401", upgrade.Message, StringComparison.Ordinal);

            // The other device of the same user is untouched on node 2.
            Assert.Equal(alice.Id, (await tabletOnNode2.GetMeAsync().Within()).Id);
            await tabletSocket.PingAsync().Within();
            Assert.Null(tabletSocket.CloseCode);

            // Refresh reuse takes the same path: the tablet's spent refresh token presented again on node 1 (no grace
            // period here) ends the tablet's socket on node 2 and the new tokens with it.
            var rotated = await new LimeHttpClient(node1.CreateClient()).RefreshAsync(tablet.Tokens.RefreshToken).Within();
            Assert.Equal(tablet.Tokens.DeviceId, rotated.DeviceId);
            await Assert.ThrowsAsync<LimeApiException>(() => new LimeHttpClient(node1.CreateClient()).RefreshAsync(tablet.Tokens.RefreshToken).Within());
            await tabletSocket.Completion.Within();
            Assert.Equal((CloseCodes.SessionRevoked, "refresh_reused"), (tabletSocket.CloseCode, tabletSocket.CloseDescription));
            await Assert.ThrowsAsync<LimeApiException>(() => new LimeHttpClient(node2.CreateClient()) { AccessToken = rotated.AccessToken }.GetMeAsync().Within());
        }
        finally
        {
            await SharedServices.DropDatabaseAsync(database);
            await SharedServices.ReleaseRedisSliceAsync(redis);
        }
    }

    [Theory]
    [InlineData(TestBackend.Sqlite)]
    [InlineData(TestBackend.PostgresRedis)]
    public async Task A_revocation_that_never_reached_a_node_still_closes_the_device_sockets_there_at_the_next_recheck(TestBackend backend)
    {
        TestBackends.SkipUnlessSelected(backend);
        await using var server = new LimeServer(backend, new Dictionary<string, string?> { ["Lime:Auth:SessionRecheckSeconds"] = "1" });
        var alice = await server.NewUserAsync("alice").Within();
        var phone = await alice.NewDeviceAsync("phone").Within();
        await using var laptopSocket = await alice.ConnectAsync().Within();
        await using var phoneSocket = await phone.ConnectAsync().Within();

        // Revoked in the store only: no relay message, no local close (as when Redis was down at the logout).
        await server.Services.GetRequiredService<IAccountStore>().RevokeDeviceAsync(alice.Tokens.DeviceId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), CancellationToken.None).Within();

        await laptopSocket.Completion.Within();
        Assert.Equal((CloseCodes.SessionRevoked, "logged_out"), (laptopSocket.CloseCode, laptopSocket.CloseDescription));
        await phoneSocket.PingAsync().Within();
        Assert.Null(phoneSocket.CloseCode);
    }
}
