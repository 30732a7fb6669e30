using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public abstract class PresenceTests(TestBackend backend) : IAsyncLifetime
{
    /// <summary>The backend this run of the suite is on (one subclass per backend, at the end of the file).</summary>
    protected TestBackend Backend { get; } = backend;

    // A short presence timeout keeps the test quick; the idle timeout is long so a silent socket stays open.
    private readonly LimeServer _server = new(backend, new Dictionary<string, string?>
    {
        ["Lime:Presence:TimeoutSeconds"] = "8",
        ["Lime:Realtime:IdleTimeoutSeconds"] = "120",
    });

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(Backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_mutual_contact_sees_online_offline_and_heartbeat_timeout_while_a_stranger_or_one_sided_contact_sees_nothing_and_a_blip_shows_nothing()
    {
        var alice = await _server.NewUserAsync("a");
        var friend = await _server.NewUserAsync("f");
        var stranger = await _server.NewUserAsync("s");
        var fan = await _server.NewUserAsync("n");
        await friend.Http.AddContactAsync(alice.Id);
        await alice.Http.AddContactAsync(friend.Id); // presence goes to mutual contacts only (docs/protocol.md §11)
        await fan.Http.AddContactAsync(alice.Id); // one-sided: alice never added the fan
        await using var friendSocket = await _server.ConnectAsync(friend.Tokens.AccessToken, heartbeat: TimeSpan.FromSeconds(1));
        await using var strangerSocket = await _server.ConnectAsync(stranger.Tokens.AccessToken, heartbeat: TimeSpan.FromSeconds(1));
        await using var fanSocket = await _server.ConnectAsync(fan.Tokens.AccessToken, heartbeat: TimeSpan.FromSeconds(1));

        // Connect → online.
        var aliceSocket = await _server.ConnectAsync(alice.Tokens.AccessToken, heartbeat: TimeSpan.FromSeconds(1));
        var online = await PresenceAsync(friendSocket, alice.Id, TimeSpan.FromSeconds(10));
        Assert.True(online!.Online);
        Assert.True((await friend.Http.ListContactsAsync()).Single().Online);

        // A 5-second blip (disconnect, reconnect) → no offline event.
        aliceSocket.Abort();
        await Task.Delay(TimeSpan.FromSeconds(5));
        aliceSocket = await _server.ConnectAsync(alice.Tokens.AccessToken, heartbeat: TimeSpan.FromSeconds(1));
        Assert.Null(await PresenceAsync(friendSocket, alice.Id, TimeSpan.FromSeconds(5)));

        // Disconnect for good → offline after the timeout, with last seen.
        await aliceSocket.DisposeAsync();
        var offline = await PresenceAsync(friendSocket, alice.Id, TimeSpan.FromSeconds(20));
        Assert.False(offline!.Online);
        Assert.NotNull(offline.LastSeen);

        // Connected but silent (no heartbeats: a suspended app) → offline after the timeout; heard again → online.
        var silent = await _server.ConnectAsync(alice.Tokens.AccessToken, heartbeat: TimeSpan.Zero);
        Assert.True((await PresenceAsync(friendSocket, alice.Id, TimeSpan.FromSeconds(10)))!.Online);
        Assert.False((await PresenceAsync(friendSocket, alice.Id, TimeSpan.FromSeconds(20)))!.Online);
        await silent.PingAsync();
        Assert.True((await PresenceAsync(friendSocket, alice.Id, TimeSpan.FromSeconds(10)))!.Online);
        await silent.DisposeAsync();

        // The stranger (no contact, no shared room) and the fan (who added alice, but whom alice did not add) never
        // heard a thing through all of the above, and may not ask; the fan's contact row shows nothing either.
        foreach (var (outsider, socket) in new[] { (stranger, strangerSocket), (fan, fanSocket) })
        {
            Assert.Null(await PresenceAsync(socket, alice.Id, TimeSpan.FromMilliseconds(200)));
            var refused = await Assert.ThrowsAsync<LimeApiException>(() => outsider.Http.GetPresenceAsync(alice.Id));
            Assert.Equal(ErrorCodes.Forbidden, refused.Code);
        }

        var fanView = (await fan.Http.ListContactsAsync()).Single();
        Assert.Equal((false, (long?)null, false), (fanView.Online, fanView.LastSeen, fanView.Mutual));
        var seen = await friend.Http.GetPresenceAsync(alice.Id); // online again since the ping (timeout not yet over)
        Assert.True(seen.Online);
        Assert.NotNull(seen.LastSeen);
    }

    [Fact]
    public async Task Hidden_last_seen_is_not_shown_but_online_state_is()
    {
        var alice = await _server.NewUserAsync("a");
        var friend = await _server.NewUserAsync("f");
        await friend.Http.AddContactAsync(alice.Id);
        await alice.Http.AddContactAsync(friend.Id);
        await alice.Http.SetPrivacyAsync(hideLastSeen: true);
        await using var friendSocket = await _server.ConnectAsync(friend.Tokens.AccessToken, heartbeat: TimeSpan.FromSeconds(1));
        var aliceSocket = await _server.ConnectAsync(alice.Tokens.AccessToken, heartbeat: TimeSpan.FromSeconds(1));
        var online = await PresenceAsync(friendSocket, alice.Id, TimeSpan.FromSeconds(10));
        Assert.True(online!.Online);
        Assert.Null(online.LastSeen);
        await aliceSocket.DisposeAsync();
        var offline = await PresenceAsync(friendSocket, alice.Id, TimeSpan.FromSeconds(20));
        Assert.False(offline!.Online);
        Assert.Null(offline.LastSeen);
        Assert.Null((await friend.Http.ListContactsAsync()).Single().LastSeen);
    }

    private static async Task<PresenceFrame?> PresenceAsync(LimeSocket socket, long user, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                if (await socket.Signals.ReadAsync(cts.Token) is PresenceFrame p && p.User == user)
                {
                    return p;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}

public sealed class SqlitePresenceTests() : PresenceTests(TestBackend.Sqlite);

public sealed class PostgresPresenceTests() : PresenceTests(TestBackend.PostgresRedis);
