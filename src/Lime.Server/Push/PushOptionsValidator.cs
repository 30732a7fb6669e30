using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>Refuses to start with a push configuration that cannot work: unknown choices, an enabled provider without its credentials.</summary>
public sealed class PushOptionsValidator : IValidateOptions<LimeOptions>
{
    public ValidateOptionsResult Validate(string? name, LimeOptions options)
    {
        var push = options.Push;
        var errors = new List<string>();
        if (push.Audience is not ("user" or "device"))
        {
            errors.Add($"Lime:Push:Audience must be 'user' or 'device', not '{push.Audience}'.");
        }

        if (push.Preview is not ("full" or "truncated" or "none"))
        {
            errors.Add($"Lime:Push:Preview must be 'full', 'truncated' or 'none', not '{push.Preview}'.");
        }

        if (push.LeaseSeconds * 1000L <= push.SendTimeoutSeconds * 1000L * 2)
        {
            errors.Add("Lime:Push:LeaseSeconds must exceed twice Lime:Push:SendTimeoutSeconds (a lease must outlast a batch).");
        }

        if (push.Enabled)
        {
            if (push.Fcm.Enabled && push.Fcm.ServiceAccountFile.Length == 0 && push.Fcm.ServiceAccountJson.Length == 0)
            {
                errors.Add("Lime:Push:Fcm needs ServiceAccountFile or ServiceAccountJson.");
            }

            if (push.Apns.Enabled && (push.Apns.KeyId.Length == 0 || push.Apns.TeamId.Length == 0 || push.Apns.Topic.Length == 0
                || (push.Apns.PrivateKeyFile.Length == 0 && push.Apns.PrivateKey.Length == 0)))
            {
                errors.Add("Lime:Push:Apns needs KeyId, TeamId, Topic and PrivateKeyFile (or PrivateKey).");
            }

            if (push.WebPush.Enabled && !(push.WebPush.Subject.StartsWith("mailto:", StringComparison.Ordinal) || push.WebPush.Subject.StartsWith("https:", StringComparison.Ordinal)))
            {
                errors.Add("Lime:Push:WebPush:Subject must be a mailto: or https: URI.");
            }

            if (push.Webhook.Enabled && (!Uri.TryCreate(push.Webhook.Url, UriKind.Absolute, out _) || push.Webhook.Secret.Length < 32))
            {
                errors.Add("Lime:Push:Webhook needs an absolute Url and a Secret of at least 32 characters.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
