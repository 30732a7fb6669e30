using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lime.Protocol;

namespace Lime.Client;

/// <summary>
/// Typed client for LIME's push routes (<c>api/me/push…</c>, <c>api/push/config</c>, <c>api/admin/…</c>).
/// It authenticates with the access token of the <see cref="LimeHttpClient"/> it is given (read on every call, so
/// a refresh there applies here). Thread-safe; every non-success response throws <see cref="LimeApiException"/>.
/// </summary>
public sealed class LimePushClient
{
    private static readonly LimeJsonContext Json = LimeJsonContext.Default;
    private readonly HttpClient _http;
    private readonly LimeHttpClient _session;

    /// <summary>Wraps <paramref name="http"/> (BaseAddress = the server root) and takes the token from <paramref name="session"/>.</summary>
    public LimePushClient(HttpClient http, LimeHttpClient session)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(session);
        _http = http;
        _session = session;
    }

    /// <summary>GET api/push/config: enabled providers and the VAPID public key for browser subscriptions.</summary>
    public Task<PushConfigResponse> GetConfigAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/push/config", null, Json.PushConfigResponse, ct);

    /// <summary>PUT api/me/push: registers (or replaces) this device's push target.</summary>
    public Task<PushTargetDto> RegisterAsync(RegisterPushRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, "api/me/push", JsonContent.Create(request, Json.RegisterPushRequest), Json.PushTargetDto, ct);

    /// <summary>GET api/me/push: the push targets of all of the user's devices.</summary>
    public Task<PushTargetListResponse> ListTargetsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/me/push", null, Json.PushTargetListResponse, ct);

    /// <summary>DELETE api/me/push: this device gets no more pushes.</summary>
    public Task UnregisterAsync(CancellationToken ct = default) => SendAsync(HttpMethod.Delete, "api/me/push", null, ct);

    /// <summary>GET api/me/push/settings.</summary>
    public Task<PushSettingsDto> GetSettingsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/me/push/settings", null, Json.PushSettingsDto, ct);

    /// <summary>PUT api/me/push/settings: level (all / mentions / none) and optional quiet hours.</summary>
    public Task<PushSettingsDto> SetSettingsAsync(PushSettingsDto settings, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, "api/me/push/settings", JsonContent.Create(settings, Json.PushSettingsDto), Json.PushSettingsDto, ct);

    /// <summary>GET api/me/push/mutes: rooms muted now.</summary>
    public Task<RoomMuteListResponse> ListMutesAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/me/push/mutes", null, Json.RoomMuteListResponse, ct);

    /// <summary>PUT api/me/push/mutes/{roomId}: no pushes for the room until <paramref name="until"/> (Unix ms), or for good.</summary>
    public Task<RoomMuteDto> MuteAsync(long roomId, long? until = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, $"api/me/push/mutes/{roomId}", JsonContent.Create(new MuteRoomRequest(until), Json.MuteRoomRequest), Json.RoomMuteDto, ct);

    /// <summary>DELETE api/me/push/mutes/{roomId}.</summary>
    public Task UnmuteAsync(long roomId, CancellationToken ct = default) => SendAsync(HttpMethod.Delete, $"api/me/push/mutes/{roomId}", null, ct);

    /// <summary>GET api/admin/outbox/dead-letters?cursor=&amp;limit= (administrators only).</summary>
    public Task<DeadLetterListResponse> ListDeadLettersAsync(string? cursor = null, int? limit = null, CancellationToken ct = default)
    {
        var query = new List<string>();
        if (cursor is not null)
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }

        if (limit is { } l)
        {
            query.Add("limit=" + l.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        string path = "api/admin/outbox/dead-letters" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return SendAsync(HttpMethod.Get, path, null, Json.DeadLetterListResponse, ct);
    }

    /// <summary>POST api/admin/outbox/dead-letters/requeue: the given dead letters, or all when <paramref name="ids"/> is null (administrators only).</summary>
    public Task<RequeueResponse> RequeueAsync(long[]? ids = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/admin/outbox/dead-letters/requeue", JsonContent.Create(new RequeueRequest(ids), Json.RequeueRequest), Json.RequeueResponse, ct);

    /// <summary>GET api/admin/push/stats: the pipeline's numbers (administrators only).</summary>
    public Task<PushStatsResponse> GetStatsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/admin/push/stats", null, Json.PushStatsResponse, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> info, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, path, content, ct);
        return await response.Content.ReadFromJsonAsync(info, ct)
            ?? throw new JsonException($"{method} {path}: the response body was empty or null.");
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, path, content, ct);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        var baseAddress = _http.BaseAddress ?? throw new InvalidOperationException("HttpClient.BaseAddress must be set to the LIME server root.");
        if (!baseAddress.AbsolutePath.EndsWith('/'))
        {
            baseAddress = new UriBuilder(baseAddress) { Path = baseAddress.AbsolutePath + "/" }.Uri;
        }

        using var request = new HttpRequestMessage(method, new Uri(baseAddress, path)) { Content = content };
        if (_session.AccessToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await LimeApiException.FromResponseAsync(response, ct);
        }
    }
}
