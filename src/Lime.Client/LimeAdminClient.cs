using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lime.Protocol;

namespace Lime.Client;

/// <summary>
/// Typed client for the admin API (<c>api/admin/…</c>, administrators only; docs/operations.md "Admin API"), used
/// by the <c>lime</c> CLI. It authenticates with the access token of the <see cref="LimeHttpClient"/> it is given.
/// Thread-safe; every non-success response throws <see cref="LimeApiException"/>.
/// </summary>
public sealed class LimeAdminClient
{
    private static readonly LimeJsonContext Json = LimeJsonContext.Default;
    private readonly HttpClient _http;
    private readonly LimeHttpClient _session;

    public LimeAdminClient(HttpClient http, LimeHttpClient session)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(session);
        _http = http;
        _session = session;
    }

    /// <summary>GET api/admin/users?q=: users by id or username prefix.</summary>
    public Task<AdminUserListResponse> FindUsersAsync(string q, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/admin/users", ("q", q), ("limit", Str(limit))), null, Json.AdminUserListResponse, ct);

    public Task<AdminUserDto> GetUserAsync(long id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/admin/users/{Str(id)}", null, Json.AdminUserDto, ct);

    /// <summary>POST api/admin/users/{id}/disable: login and refresh refused, every device logged out.</summary>
    public Task<AdminUserDto> DisableUserAsync(long id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/admin/users/{Str(id)}/disable", null, Json.AdminUserDto, ct);

    public Task<AdminUserDto> EnableUserAsync(long id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/admin/users/{Str(id)}/enable", null, Json.AdminUserDto, ct);

    /// <summary>POST api/admin/users/{id}/logout: every live device logged out.</summary>
    public Task<AdminLogoutResponse> LogoutUserAsync(long id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/admin/users/{Str(id)}/logout", null, Json.AdminLogoutResponse, ct);

    public Task DeleteUserAsync(long id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"api/admin/users/{Str(id)}", null, ct);

    public Task<AdminRoomListResponse> FindRoomsAsync(string q, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/admin/rooms", ("q", q), ("limit", Str(limit))), null, Json.AdminRoomListResponse, ct);

    public Task<AdminRoomDto> GetRoomAsync(long id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, $"api/admin/rooms/{Str(id)}", null, Json.AdminRoomDto, ct);

    public Task DeleteRoomAsync(long id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"api/admin/rooms/{Str(id)}", null, ct);

    /// <summary>POST api/admin/rooms/{id}/purge: history before a seq or a time (exactly one).</summary>
    public Task<PurgeResponse> PurgeRoomAsync(long id, PurgeRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/admin/rooms/{Str(id)}/purge", JsonContent.Create(request, Json.PurgeRequest), Json.PurgeResponse, ct);

    public Task<AdminStatsResponse> GetStatsAsync(int? days = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/admin/stats", ("days", Str(days))), null, Json.AdminStatsResponse, ct);

    public Task<AuditListResponse> ListAuditAsync(string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/admin/audit", ("cursor", cursor), ("limit", Str(limit))), null, Json.AuditListResponse, ct);

    public Task<DeadLetterListResponse> ListDeadLettersAsync(string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/admin/outbox/dead-letters", ("cursor", cursor), ("limit", Str(limit))), null, Json.DeadLetterListResponse, ct);

    public Task<RequeueResponse> RequeueDeadLettersAsync(long[]? ids = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/admin/outbox/dead-letters/requeue", JsonContent.Create(new RequeueRequest(ids), Json.RequeueRequest), Json.RequeueResponse, ct);

    private static string? Str(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Query(string path, params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)).ToArray();
        return parts.Length == 0 ? path : path + "?" + string.Join('&', parts);
    }

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
