using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>
/// What a user sets about their pushes: each device's target, notification level and quiet hours, room mutes.
/// Validates everything before it is stored (a refused request changes nothing).
/// </summary>
public sealed class PushPreferences(IPushStore store, IRoomStore rooms, PushProviders providers, IOptions<LimeOptions> options, TimeProvider time)
{
    private const int MaxTokenLength = 4096;
    private readonly PushOptions _options = options.Value.Push;

    public PushConfigResponse Config() => new([.. providers.Kinds.Order(StringComparer.Ordinal)], providers.Vapid?.PublicKeyBase64Url);

    public async Task<PushTargetDto> RegisterAsync(long userId, long deviceId, RegisterPushRequest request, CancellationToken ct)
    {
        string kind = request.Kind ?? "";
        if (kind is not (PushKinds.Fcm or PushKinds.Apns or PushKinds.WebPush or PushKinds.Webhook))
        {
            throw LimeException.Validation("kind must be 'fcm', 'apns', 'webpush' or 'webhook'.");
        }

        if (providers.For(kind) is null)
        {
            throw LimeException.Validation($"This server does not push through '{kind}'.");
        }

        string token;
        string? environment = null, p256dh = null, auth = null;
        if (kind == PushKinds.WebPush)
        {
            var s = request.Subscription ?? throw LimeException.Validation("subscription {endpoint, keys: {p256dh, auth}} is required for webpush.");
            token = ValidEndpoint(s.Endpoint);
            (p256dh, auth) = ValidKeys(s.Keys);
        }
        else
        {
            token = (request.Token ?? "").Trim();
            if (token.Length == 0 || token.Length > MaxTokenLength || token.Any(char.IsControl))
            {
                throw LimeException.Validation($"token is required for {kind} (at most {MaxTokenLength} characters).");
            }

            if (kind == PushKinds.Apns)
            {
                if (!token.All(char.IsAsciiHexDigit))
                {
                    throw LimeException.Validation("An APNs device token is hexadecimal.");
                }

                environment = request.Environment ?? ApnsEnvironments.Production;
                if (environment is not (ApnsEnvironments.Sandbox or ApnsEnvironments.Production))
                {
                    throw LimeException.Validation("environment must be 'sandbox' or 'production'.");
                }
            }
        }

        var target = await store.UpsertTargetAsync(userId, deviceId, kind, token, environment, p256dh, auth, Now(), ct);
        return ToDto(target, deviceId);
    }

    public async Task<PushTargetListResponse> ListAsync(long userId, long currentDevice, CancellationToken ct) =>
        new([.. (await store.ListTargetsAsync(userId, ct)).Select(t => ToDto(t, currentDevice))]);

    public Task<bool> UnregisterAsync(long deviceId, CancellationToken ct) => store.DeleteTargetOfDeviceAsync(deviceId, ct);

    public async Task<PushSettingsDto> GetSettingsAsync(long userId, CancellationToken ct)
    {
        var s = await store.GetSettingsAsync(userId, ct);
        var quiet = s is { QuietStart: { } start, QuietEnd: { } end } ? new QuietHoursDto(Clock(start), Clock(end), s.TimeZone ?? "UTC") : null;
        return new PushSettingsDto(s.Level, quiet);
    }

    public async Task<PushSettingsDto> SetSettingsAsync(long userId, PushSettingsDto request, CancellationToken ct)
    {
        if (request.Level is not (PushLevels.All or PushLevels.Mentions or PushLevels.None))
        {
            throw LimeException.Validation("level must be 'all', 'mentions' or 'none'.");
        }

        long? start = null, end = null;
        string? zone = null;
        if (request.QuietHours is { } q)
        {
            start = Minutes(q.Start, "quiet_hours.start");
            end = Minutes(q.End, "quiet_hours.end");
            zone = string.IsNullOrEmpty(q.TimeZone) ? "UTC" : q.TimeZone;
            if (zone.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                throw LimeException.Validation("quiet_hours.time_zone must be an IANA time zone such as 'Europe/Berlin'.");
            }
        }

        await store.SetSettingsAsync(userId, new PushSettingsRecord(request.Level, start, end, zone), ct);
        return await GetSettingsAsync(userId, ct);
    }

    public async Task<RoomMuteDto> MuteAsync(long userId, long roomId, long? until, CancellationToken ct)
    {
        await RequireMemberAsync(userId, roomId, ct);
        if (until is { } u && u <= Now())
        {
            throw LimeException.Validation("until must be in the future (Unix ms), or null for good.");
        }

        await store.MuteAsync(userId, roomId, until, ct);
        return new RoomMuteDto(roomId, until);
    }

    public Task UnmuteAsync(long userId, long roomId, CancellationToken ct) => store.UnmuteAsync(userId, roomId, ct);

    public async Task<RoomMuteListResponse> ListMutesAsync(long userId, CancellationToken ct) =>
        new([.. (await store.ListMutesAsync(userId, Now(), ct)).Select(m => new RoomMuteDto(m.RoomId, m.Until))]);

    private async Task RequireMemberAsync(long userId, long roomId, CancellationToken ct)
    {
        if (await rooms.GetRoomAsync(roomId, ct) is null)
        {
            throw LimeException.NotFound("No such room.");
        }

        if (await rooms.GetMemberAsync(roomId, userId, ct) is null)
        {
            throw LimeException.Forbidden("You are not a member of this room.");
        }
    }

    private string ValidEndpoint(string? endpoint)
    {
        if (endpoint is not { Length: > 0 and <= MaxTokenLength } || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            throw LimeException.Validation("subscription.endpoint must be an absolute URL.");
        }

        var web = _options.WebPush;
        if (uri.Scheme != Uri.UriSchemeHttps && !(web.AllowHttp && uri.Scheme == Uri.UriSchemeHttp))
        {
            throw LimeException.Validation("subscription.endpoint must be an https URL.");
        }

        string host = uri.Host.ToLowerInvariant();
        if (web.AllowedHosts.Length > 0 && !web.AllowedHosts.Any(a => a.StartsWith('.') ? host.EndsWith(a, StringComparison.Ordinal) : host == a))
        {
            throw LimeException.Validation($"Push services at '{host}' are not allowed on this server.");
        }

        return uri.AbsoluteUri;
    }

    private static (string P256dh, string Auth) ValidKeys(WebPushKeysDto? keys)
    {
        try
        {
            byte[] point = Base64Url.DecodeFromChars(keys?.P256dh ?? "");
            byte[] auth = Base64Url.DecodeFromChars(keys?.Auth ?? "");
            using (WebPushEncryption.ImportPublic(point))
            {
            }

            if (auth.Length != 16)
            {
                throw new FormatException();
            }

            return (Base64Url.EncodeToString(point), Base64Url.EncodeToString(auth));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            throw LimeException.Validation("subscription.keys must hold p256dh (a base64url P-256 point) and auth (16 bytes base64url).");
        }
    }

    private static long Minutes(string? clock, string field)
    {
        if (TimeOnly.TryParseExact(clock, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
        {
            return t.Hour * 60 + t.Minute;
        }

        throw LimeException.Validation($"{field} must be a time of day as HH:mm.");
    }

    private static string Clock(long minutes) => new TimeOnly((int)(minutes / 60), (int)(minutes % 60)).ToString("HH:mm", CultureInfo.InvariantCulture);

    private static PushTargetDto ToDto(PushTarget t, long currentDevice) => new(t.DeviceId, t.Kind, t.Environment, t.CreatedAt, t.DeviceId == currentDevice);

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
