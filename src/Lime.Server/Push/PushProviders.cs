using Lime.Protocol;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>
/// The providers this node pushes through, chosen by configuration: each kind whose Lime:Push:&lt;Kind&gt;:Enabled is
/// set (and Lime:Push:Enabled). Built once, when first needed (at start: the dispatcher needs it); a broken key or
/// service-account file fails the start.
/// </summary>
public sealed class PushProviders : IDisposable
{
    private readonly Dictionary<string, IPushProvider> _byKind = new(StringComparer.Ordinal);

    public PushProviders(IOptions<LimeOptions> options, TimeProvider time, ILogger<PushProviders> log)
    {
        var push = options.Value.Push;
        if (!push.Enabled)
        {
            return;
        }

        var timeout = TimeSpan.FromSeconds(push.SendTimeoutSeconds);
        foreach (string kind in new[] { PushKinds.Fcm, PushKinds.Apns, PushKinds.WebPush, PushKinds.Webhook })
        {
            IPushProvider? provider = kind switch
            {
                PushKinds.Fcm when push.Fcm.Enabled => new FcmProvider(push.Fcm, timeout, time),
                PushKinds.Apns when push.Apns.Enabled => new ApnsProvider(push.Apns, timeout, time),
                PushKinds.WebPush when push.WebPush.Enabled => new WebPushProvider(
                    push.WebPush, Vapid = VapidKeys.Load(push.WebPush.PrivateKey, options.Value.Storage.DataDirectory, log), timeout, time),
                PushKinds.Webhook when push.Webhook.Enabled => new WebhookProvider(push, time),
                _ => null,
            };
            if (provider is not null)
            {
                _byKind[kind] = provider;
            }
        }
    }

    /// <summary>The VAPID keys, when Web Push is enabled.</summary>
    public VapidKeys? Vapid { get; private set; }

    public IReadOnlyCollection<string> Kinds => _byKind.Keys;

    public IPushProvider? For(string kind) => _byKind.GetValueOrDefault(kind);

    public void Dispose()
    {
        foreach (var provider in _byKind.Values)
        {
            (provider as IDisposable)?.Dispose();
        }

        Vapid?.Dispose();
    }
}
