using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Push;

/// <summary>Each provider against its fake: what the real service checks is checked, and an invalid token is removed.</summary>
public sealed class ProviderTests : IAsyncLifetime
{
    private PushHarness _h = null!;

    public async ValueTask InitializeAsync() => _h = await PushHarness.StartAsync(webhook: true, fcm: true, apns: true, webPush: true).Within();

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    [Fact]
    public async Task Fcm_pushes_with_a_bearer_token_from_a_signed_service_account_jwt_exchanged_once()
    {
        var (alice, bob, room) = await PairAsync();
        await bob.Push.RegisterAsync(new RegisterPushRequest(PushKinds.Fcm, "fcm-token-bob")).Within();

        await alice.SendAsync(room, "first");
        await alice.SendAsync(room, "second");
        var got = await _h.Fcm!.WaitForAsync(2, d => d.Token == "fcm-token-bob");

        Assert.Empty(_h.Fcm.Refusals);
        Assert.Equal(1, _h.Fcm.Exchanges); // the access token is cached
        Assert.Equal(["first", "second"], got.Select(d => d.Body).Order());
        Assert.All(got, d => Assert.Equal(alice.User.Tokens.User.DisplayName, d.Title));
        Assert.All(got, d => Assert.InRange(d.Badge, 1, 2)); // the badge is the unread total when the push is made
        Assert.Equal(2, got.Max(d => d.Badge));

        _h.Fcm.RevokeTokens(); // the service forgets the token: 401, a new exchange, then delivery
        await alice.SendAsync(room, "third");
        await _h.Fcm.WaitForAsync(1, d => d.Body == "third");
        Assert.Equal(2, _h.Fcm.Exchanges);
    }

    [Fact]
    public async Task Apns_pushes_over_http2_with_a_valid_es256_provider_token_and_the_apns_headers()
    {
        var (alice, bob, room) = await PairAsync();
        string token = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        await bob.Push.RegisterAsync(new RegisterPushRequest(PushKinds.Apns, token, ApnsEnvironments.Sandbox)).Within();

        await alice.SendAsync(room, "over http/2");
        var got = (await _h.Apns!.WaitForAsync(1, d => d.Token == token)).Single();

        Assert.Empty(_h.Apns.Refusals);
        Assert.Equal("HTTP/2", got.Protocol);
        Assert.Equal("over http/2", got.Body);
        Assert.Equal(1, got.Badge);
    }

    [Fact]
    public async Task Web_push_carries_a_valid_vapid_jwt_and_a_payload_that_decrypts_with_the_subscription_keys()
    {
        var (alice, bob, room) = await PairAsync();
        var config = await bob.Push.GetConfigAsync().Within();
        Assert.Contains(PushKinds.WebPush, config.Providers);
        var subscription = _h.WebPush!.NewSubscription();
        await bob.Push.RegisterAsync(new RegisterPushRequest(PushKinds.WebPush, Subscription: subscription)).Within();

        await alice.SendAsync(room, "encrypted for bob");
        var got = (await _h.WebPush.WaitForAsync(1, d => d.Token == subscription.Endpoint)).Single();

        Assert.Empty(_h.WebPush.Refusals);
        Assert.Equal("encrypted for bob", got.Body);
        Assert.Equal(config.VapidPublicKey, _h.WebPush.SeenVapidKey); // the key browsers subscribe with signs the pushes
    }

    [Fact]
    public async Task Webhook_pushes_are_hmac_signed_and_carry_the_idempotency_key()
    {
        var (alice, bob, room) = await PairAsync();
        await bob.RegisterWebhookAsync("hook-bob");

        var ack = await alice.SendAsync(room, "signed");
        var got = (await _h.Webhook!.WaitForAsync(1, d => d.Token == "hook-bob")).Single();

        Assert.Empty(_h.Webhook.Refusals);
        Assert.StartsWith($"m:{room}:{ack.Seq}:", got.Key, StringComparison.Ordinal);
        Assert.Equal(room, got.Room);
    }

    [Fact]
    public async Task Fcm_unregistered_token_is_removed()
    {
        var (alice, bob, room) = await PairAsync();
        await bob.Push.RegisterAsync(new RegisterPushRequest(PushKinds.Fcm, "fcm-gone")).Within();
        _h.Fcm!.Behavior = t => t == "fcm-gone" ? (404, FakeFcm.Unregistered, null) : null;

        await alice.SendAsync(room, "to a stale token");
        await TargetRemovedAsync(bob);
    }

    [Theory]
    [InlineData(410, """{"reason":"Unregistered","timestamp":1700000000000}""")]
    [InlineData(400, """{"reason":"BadDeviceToken"}""")]
    public async Task Apns_unregistered_or_bad_device_token_is_removed(int status, string body)
    {
        var (alice, bob, room) = await PairAsync();
        string token = "ab" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        await bob.Push.RegisterAsync(new RegisterPushRequest(PushKinds.Apns, token)).Within();
        _h.Apns!.Behavior = t => t == token ? (status, body, null) : null;

        await alice.SendAsync(room, "to a stale token");
        await TargetRemovedAsync(bob);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(410)]
    public async Task Web_push_subscription_gone_is_removed(int status)
    {
        var (alice, bob, room) = await PairAsync();
        var subscription = _h.WebPush!.NewSubscription();
        await bob.Push.RegisterAsync(new RegisterPushRequest(PushKinds.WebPush, Subscription: subscription)).Within();
        _h.WebPush.Behavior = t => t == subscription.Endpoint ? (status, "", null) : null;

        await alice.SendAsync(room, "to an expired subscription");
        await TargetRemovedAsync(bob);
    }

    [Fact]
    public async Task Registration_is_validated_and_one_token_belongs_to_one_device()
    {
        var bob = await _h.NewUserAsync("bob");
        var bad = await Assert.ThrowsAsync<LimeApiException>(() => bob.Push.RegisterAsync(new RegisterPushRequest(PushKinds.Apns, "not-hex!")).Within());
        Assert.Equal(ErrorCodes.Validation, bad.Code);
        var http = await Assert.ThrowsAsync<LimeApiException>(() => bob.Push.RegisterAsync(new RegisterPushRequest(PushKinds.WebPush,
            Subscription: new WebPushSubscriptionDto("https://evil.example/push", new WebPushKeysDto("x", "y")))).Within());
        Assert.Equal(ErrorCodes.Validation, http.Code);

        await bob.RegisterWebhookAsync("shared-token");
        var second = await bob.User.NewDeviceAsync();
        var secondPush = new PushUser(second, new LimePushClient(_h.Server.CreateClient(), second.Http));
        await secondPush.RegisterWebhookAsync("shared-token"); // the same phone logged in again
        var targets = (await bob.Push.ListTargetsAsync().Within()).Targets;
        Assert.Equal(second.Tokens.DeviceId, Assert.Single(targets).DeviceId);
    }

    private async Task<(PushUser Alice, PushUser Bob, long Room)> PairAsync()
    {
        var alice = await _h.NewUserAsync("alice");
        var bob = await _h.NewUserAsync("bob");
        var room = await alice.User.Http.CreateDirectAsync(bob.Id).Within();
        return (alice, bob, room.Id);
    }

    private static async Task TargetRemovedAsync(PushUser user)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await user.Push.ListTargetsAsync().Within()).Targets.Length > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the invalid target was not removed within 30 s");
            await Task.Delay(50);
        }
    }
}
