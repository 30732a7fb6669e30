using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Push;

/// <summary>
/// LIME in-process with push enabled against local fakes of the chosen services. The first user it registers (id 1)
/// is the configured administrator. Dispatch is tuned for tests: 20 ms polling, 100 ms backoff base, no collapse
/// window unless a test sets one.
/// </summary>
public sealed class PushHarness : IAsyncDisposable
{
    public const string WebhookSecret = "webhook-secret-for-tests-0123456789abcdef";

    private PushHarness(LimeServer server, FakeWebhook? webhook, FakeFcm? fcm, FakeApns? apns, FakeWebPushService? webPush)
    {
        Server = server;
        Webhook = webhook;
        Fcm = fcm;
        Apns = apns;
        WebPush = webPush;
    }

    public LimeServer Server { get; }
    public FakeWebhook? Webhook { get; }
    public FakeFcm? Fcm { get; }
    public FakeApns? Apns { get; }
    public FakeWebPushService? WebPush { get; }

    /// <summary>The administrator (user id 1).</summary>
    public PushUser Admin { get; private set; } = null!;

    public static async Task<PushHarness> StartAsync(bool webhook = true, bool fcm = false, bool apns = false, bool webPush = false, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Lime:Push:Enabled"] = "true",
            ["Lime:Push:AdminUserIds:0"] = "1",
            ["Lime:Push:PollIntervalMs"] = "20",
            ["Lime:Push:BackoffBaseMs"] = "100",
            ["Lime:Push:CollapseWindowMs"] = "0",
            ["Lime:Push:SendTimeoutSeconds"] = "5",
        };
        FakeWebhook? hook = null;
        FakeFcm? f = null;
        FakeApns? a = null;
        FakeWebPushService? w = null;
        if (webhook)
        {
            hook = new FakeWebhook(WebhookSecret);
            await hook.StartAsync();
            all["Lime:Push:Webhook:Enabled"] = "true";
            all["Lime:Push:Webhook:Url"] = hook.Url.ToString();
            all["Lime:Push:Webhook:Secret"] = WebhookSecret;
        }

        if (fcm)
        {
            f = new FakeFcm();
            await f.StartAsync();
            all["Lime:Push:Fcm:Enabled"] = "true";
            all["Lime:Push:Fcm:ServiceAccountJson"] = f.ServiceAccountJson();
            all["Lime:Push:Fcm:Endpoint"] = f.BaseAddress.ToString();
        }

        if (apns)
        {
            a = new FakeApns();
            await a.StartAsync();
            all["Lime:Push:Apns:Enabled"] = "true";
            all["Lime:Push:Apns:KeyId"] = FakeApns.KeyId;
            all["Lime:Push:Apns:TeamId"] = FakeApns.TeamId;
            all["Lime:Push:Apns:Topic"] = FakeApns.Topic;
            all["Lime:Push:Apns:PrivateKey"] = a.P8;
            all["Lime:Push:Apns:ProductionEndpoint"] = a.BaseAddress.ToString();
            all["Lime:Push:Apns:SandboxEndpoint"] = a.BaseAddress.ToString();
        }

        if (webPush)
        {
            w = new FakeWebPushService();
            await w.StartAsync();
            all["Lime:Push:WebPush:Enabled"] = "true";
            all["Lime:Push:WebPush:Subject"] = "mailto:ops@lime.test";
            all["Lime:Push:WebPush:AllowHttp"] = "true";
            all["Lime:Push:WebPush:AllowedHosts:0"] = "127.0.0.1";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var harness = new PushHarness(new LimeServer(all), hook, f, a, w);
        harness.Admin = await harness.NewUserAsync("admin");
        return harness;
    }

    public async Task<PushUser> NewUserAsync(string prefix = "u")
    {
        var user = await Server.NewUserAsync(prefix).Within();
        return new PushUser(user, new LimePushClient(Server.CreateClient(), user.Http));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        foreach (var fake in new FakePushService?[] { Webhook, Fcm, Apns, WebPush })
        {
            if (fake is not null)
            {
                await fake.DisposeAsync();
            }
        }
    }
}

/// <summary>A test user with its push client.</summary>
public sealed record PushUser(TestUser User, LimePushClient Push)
{
    public long Id => User.Id;

    public Task<PushTargetDto> RegisterWebhookAsync(string token) => Push.RegisterAsync(new RegisterPushRequest(PushKinds.Webhook, token)).Within();

    public Task<AckDto> SendAsync(long room, string text) =>
        User.Http.SendAsync(room, new SendMessageRequest(Guid.NewGuid().ToString("N"), text)).Within();
}
