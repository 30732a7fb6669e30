using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lime.Protocol;

namespace Lime.Client;

/// <summary>
/// Typed client for the LIME REST API. Thread-safe for concurrent calls; it never mutates the wrapped
/// <see cref="HttpClient"/>, so one HttpClient may be shared by many instances (one per user).
/// Every non-success response throws <see cref="LimeApiException"/>.
/// </summary>
public sealed partial class LimeHttpClient
{
    private static readonly LimeJsonContext Json = LimeJsonContext.Default;
    private readonly HttpClient _http;

    /// <summary>Wraps <paramref name="http"/>, whose <see cref="HttpClient.BaseAddress"/> is the server root (e.g. http://127.0.0.1:5080/).</summary>
    public LimeHttpClient(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
    }

    /// <summary>
    /// The bearer token sent as <c>Authorization: Bearer</c> on every request when not null. Set by
    /// <see cref="RegisterAsync"/>, <see cref="LoginAsync"/> and <see cref="RefreshAsync"/>; <see cref="LogoutAsync"/> leaves it unchanged.
    /// </summary>
    public string? AccessToken { get; set; }

    /// <summary>POST api/auth/register; sets <see cref="AccessToken"/> on success.</summary>
    public async Task<TokenResponse> RegisterAsync(RegisterRequest request, CancellationToken ct = default)
    {
        var token = await SendAsync(HttpMethod.Post, "api/auth/register", Body(request, Json.RegisterRequest), Json.TokenResponse, ct);
        AccessToken = token.AccessToken;
        return token;
    }

    /// <summary>POST api/auth/login; sets <see cref="AccessToken"/> on success.</summary>
    public async Task<TokenResponse> LoginAsync(LoginRequest request, CancellationToken ct = default)
    {
        var token = await SendAsync(HttpMethod.Post, "api/auth/login", Body(request, Json.LoginRequest), Json.TokenResponse, ct);
        AccessToken = token.AccessToken;
        return token;
    }

    /// <summary>POST api/auth/refresh with <c>{refresh_token}</c>; sets <see cref="AccessToken"/> on success.</summary>
    public async Task<TokenResponse> RefreshAsync(string refreshToken, CancellationToken ct = default)
    {
        var token = await SendAsync(HttpMethod.Post, "api/auth/refresh", Body(new RefreshRequest(refreshToken), Json.RefreshRequest), Json.TokenResponse, ct);
        AccessToken = token.AccessToken;
        return token;
    }

    /// <summary>POST api/auth/logout (revokes the current device). Does not clear <see cref="AccessToken"/>.</summary>
    public Task LogoutAsync(CancellationToken ct = default) => SendAsync(HttpMethod.Post, "api/auth/logout", null, ct);

    /// <summary>GET api/me.</summary>
    public Task<UserDto> GetMeAsync(CancellationToken ct = default) => SendAsync(HttpMethod.Get, "api/me", null, Json.UserDto, ct);

    /// <summary>PATCH api/me.</summary>
    public Task<UserDto> UpdateProfileAsync(UpdateProfileRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Patch, "api/me", Body(request, Json.UpdateProfileRequest), Json.UserDto, ct);

    /// <summary>GET api/me/devices.</summary>
    public Task<DeviceDto[]> ListDevicesAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/me/devices", null, Json.DeviceDtoArray, ct);

    /// <summary>GET api/users/{id}.</summary>
    public Task<UserDto> GetUserAsync(long id, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Path($"api/users/{id}"), null, Json.UserDto, ct);

    /// <summary>GET api/users/by-username/{username} (the username is URI-escaped).</summary>
    public Task<UserDto> GetUserByUsernameAsync(string username, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/users/by-username/" + Uri.EscapeDataString(username), null, Json.UserDto, ct);

    /// <summary>POST api/rooms/direct with <c>{user_id}</c>: the direct room with that user (created if needed).</summary>
    public Task<RoomDto> CreateDirectAsync(long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/rooms/direct", Body(new CreateDirectRequest(userId), Json.CreateDirectRequest), Json.RoomDto, ct);

    /// <summary>POST api/rooms.</summary>
    public Task<RoomDto> CreateRoomAsync(CreateRoomRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/rooms", Body(request, Json.CreateRoomRequest), Json.RoomDto, ct);

    /// <summary>GET api/rooms/{roomId}.</summary>
    public Task<RoomDto> GetRoomAsync(long roomId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Path($"api/rooms/{roomId}"), null, Json.RoomDto, ct);

    /// <summary>GET api/rooms?cursor=&amp;limit= (null parameters are omitted).</summary>
    public Task<RoomListResponse> ListRoomsAsync(string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/rooms", ("cursor", cursor), ("limit", Str(limit))), null, Json.RoomListResponse, ct);

    /// <summary>GET api/channels?q=&amp;cursor=&amp;limit= (null parameters are omitted).</summary>
    public Task<ChannelListResponse> ListChannelsAsync(string? query = null, string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/channels", ("q", query), ("cursor", cursor), ("limit", Str(limit))), null, Json.ChannelListResponse, ct);

    /// <summary>
    /// POST api/rooms/{roomId}/join. An open channel answers 200 with the room (<c>pending</c> false, <c>room</c> set);
    /// a channel that requires approval answers 202 with a join request recorded (<c>pending</c> true, no room).
    /// </summary>
    public async Task<JoinResultDto> JoinAsync(long roomId, CancellationToken ct = default)
    {
        using var response = await SendCoreAsync(HttpMethod.Post, Path($"api/rooms/{roomId}/join"), null, ct);
        if (response.StatusCode == System.Net.HttpStatusCode.Accepted)
        {
            return await response.Content.ReadFromJsonAsync(Json.JoinResultDto, ct)
                ?? throw new JsonException($"POST api/rooms/{roomId}/join: the 202 body was empty or null.");
        }

        var room = await response.Content.ReadFromJsonAsync(Json.RoomDto, ct)
            ?? throw new JsonException($"POST api/rooms/{roomId}/join: the response body was empty or null.");
        return new JoinResultDto(false, room);
    }

    /// <summary>POST api/rooms/{roomId}/leave.</summary>
    public Task LeaveAsync(long roomId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, Path($"api/rooms/{roomId}/leave"), null, ct);

    /// <summary>GET api/rooms/{roomId}/members?cursor=&amp;limit= (null parameters are omitted).</summary>
    public Task<MemberListResponse> ListMembersAsync(long roomId, string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query(Path($"api/rooms/{roomId}/members"), ("cursor", cursor), ("limit", Str(limit))), null, Json.MemberListResponse, ct);

    /// <summary>POST api/rooms/{roomId}/members with <c>{user_ids}</c>.</summary>
    public Task AddMembersAsync(long roomId, params long[] userIds) => AddMembersAsync(roomId, userIds, default);

    /// <summary>POST api/rooms/{roomId}/members with <c>{user_ids}</c>.</summary>
    public Task AddMembersAsync(long roomId, long[] userIds, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, Path($"api/rooms/{roomId}/members"), Body(new AddMembersRequest(userIds), Json.AddMembersRequest), ct);

    /// <summary>DELETE api/rooms/{roomId}/members/{userId}.</summary>
    public Task RemoveMemberAsync(long roomId, long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/rooms/{roomId}/members/{userId}"), null, ct);

    /// <summary>PUT api/rooms/{roomId}/members/{userId}/role with <c>{role}</c>.</summary>
    public Task SetRoleAsync(long roomId, long userId, string role, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, Path($"api/rooms/{roomId}/members/{userId}/role"), Body(new SetRoleRequest(role), Json.SetRoleRequest), ct);

    /// <summary>
    /// POST api/rooms/{roomId}/messages. Returns the ack for a new message (201) or, for a retry with the same
    /// client_msg_id, the original ack with <c>duplicate</c> true (200).
    /// </summary>
    public Task<AckDto> SendAsync(long roomId, SendMessageRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, Path($"api/rooms/{roomId}/messages"), Body(request, Json.SendMessageRequest), Json.AckDto, ct);

    /// <summary>GET api/rooms/{roomId}/events?before=&amp;after=&amp;limit= (null parameters are omitted).</summary>
    public Task<HistoryPage> GetHistoryAsync(long roomId, long? before = null, long? after = null, int? limit = null, CancellationToken ct = default) =>
        SendAsync(
            HttpMethod.Get,
            Query(Path($"api/rooms/{roomId}/events"), ("before", Str(before)), ("after", Str(after)), ("limit", Str(limit))),
            null,
            Json.HistoryPage,
            ct);

    /// <summary>GET api/rooms/{roomId}/events/around/{seq}?limit= (null limit is omitted).</summary>
    public Task<HistoryPage> GetAroundAsync(long roomId, long seq, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query(Path($"api/rooms/{roomId}/events/around/{seq}"), ("limit", Str(limit))), null, Json.HistoryPage, ct);

    /// <summary>PATCH api/rooms/{roomId}/messages/{seq}: the sender replaces the text (within the edit window).</summary>
    public Task<OperationAckDto> EditMessageAsync(long roomId, long seq, string text, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Patch, Path($"api/rooms/{roomId}/messages/{seq}"), Body(new EditMessageRequest(text, clientMsgId), Json.EditMessageRequest), Json.OperationAckDto, ct);

    /// <summary>DELETE api/rooms/{roomId}/messages/{seq}?client_msg_id=: deletes the message for everyone.</summary>
    public Task<OperationAckDto> DeleteMessageAsync(long roomId, long seq, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Query(Path($"api/rooms/{roomId}/messages/{seq}"), ("client_msg_id", clientMsgId)), null, Json.OperationAckDto, ct);

    /// <summary>POST api/rooms/{roomId}/messages/{seq}/hide: hides the message for this user only.</summary>
    public Task HideMessageAsync(long roomId, long seq, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, Path($"api/rooms/{roomId}/messages/{seq}/hide"), null, ct);

    /// <summary>PUT api/rooms/{roomId}/messages/{seq}/reactions/{emoji} (the emoji is URI-escaped).</summary>
    public Task<OperationAckDto> AddReactionAsync(long roomId, long seq, string emoji, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, Query(Path($"api/rooms/{roomId}/messages/{seq}/reactions/") + Uri.EscapeDataString(emoji), ("client_msg_id", clientMsgId)), null, Json.OperationAckDto, ct);

    /// <summary>DELETE api/rooms/{roomId}/messages/{seq}/reactions/{emoji}.</summary>
    public Task<OperationAckDto> RemoveReactionAsync(long roomId, long seq, string emoji, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Query(Path($"api/rooms/{roomId}/messages/{seq}/reactions/") + Uri.EscapeDataString(emoji), ("client_msg_id", clientMsgId)), null, Json.OperationAckDto, ct);

    /// <summary>PUT api/rooms/{roomId}/pins/{seq}: pins a message (owners and admins; either member of a direct room).</summary>
    public Task<OperationAckDto> PinAsync(long roomId, long seq, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, Query(Path($"api/rooms/{roomId}/pins/{seq}"), ("client_msg_id", clientMsgId)), null, Json.OperationAckDto, ct);

    /// <summary>DELETE api/rooms/{roomId}/pins/{seq}.</summary>
    public Task<OperationAckDto> UnpinAsync(long roomId, long seq, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Query(Path($"api/rooms/{roomId}/pins/{seq}"), ("client_msg_id", clientMsgId)), null, Json.OperationAckDto, ct);

    /// <summary>POST api/sync: catch-up in one round trip (see <see cref="LimeSocket.SyncAsync"/>).</summary>
    public Task<SyncResponse> SyncAsync(SyncCursor[]? cursors, int? limitPerRoom = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/sync", Body(new SyncRequest(cursors, limitPerRoom), Json.SyncRequest), Json.SyncResponse, ct);

    /// <summary>POST api/rooms/{roomId}/read with <c>{seq}</c>: moves the read watermark forward; returns the read state.</summary>
    public Task<ReadStateDto> MarkReadAsync(long roomId, long seq, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, Path($"api/rooms/{roomId}/read"), Body(new MarkReadRequest(seq), Json.MarkReadRequest), Json.ReadStateDto, ct);

    /// <summary>GET api/rooms/{roomId}/events/{seq}/readers: who read up to a message (small rooms).</summary>
    public Task<ReadersResponse> GetReadersAsync(long roomId, long seq, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Path($"api/rooms/{roomId}/events/{seq}/readers"), null, Json.ReadersResponse, ct);

    /// <summary>GET api/me/unread: the total unread badge.</summary>
    public Task<BadgeResponse> GetBadgeAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/me/unread", null, Json.BadgeResponse, ct);

    /// <summary>GET api/search: the user's messages matching <paramref name="q"/>, newest first (docs/protocol.md §14).</summary>
    public Task<SearchResponse> SearchAsync(string? q, string? mode = null, long? room = null, long? from = null, long? before = null, long? after = null,
        string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/search", ("q", q), ("mode", mode), ("room", Str(room)), ("from", Str(from)), ("before", Str(before)), ("after", Str(after)),
            ("cursor", cursor), ("limit", Str(limit))), null, Json.SearchResponse, ct);

    /// <summary>GET api/me/mentions?cursor=&amp;limit=: messages that mention this user, newest first.</summary>
    public Task<MentionListResponse> ListMentionsAsync(string? cursor = null, int? limit = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Query("api/me/mentions", ("cursor", cursor), ("limit", Str(limit))), null, Json.MentionListResponse, ct);

    /// <summary>GET api/contacts: the contact list with presence.</summary>
    public Task<ContactDto[]> ListContactsAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/contacts", null, Json.ContactDtoArray, ct);

    /// <summary>POST api/contacts with <c>{user_id}</c>.</summary>
    public Task AddContactAsync(long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/contacts", Body(new AddContactRequest(userId), Json.AddContactRequest), ct);

    /// <summary>DELETE api/contacts/{userId}.</summary>
    public Task RemoveContactAsync(long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/contacts/{userId}"), null, ct);

    /// <summary>GET api/users/{userId}/presence: a contact's or room-mate's presence now.</summary>
    public Task<PresenceDto> GetPresenceAsync(long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Path($"api/users/{userId}/presence"), null, Json.PresenceDto, ct);

    /// <summary>PUT api/me/privacy with <c>{hide_last_seen}</c>.</summary>
    public Task SetPrivacyAsync(bool hideLastSeen, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, "api/me/privacy", Body(new PrivacyRequest(hideLastSeen), Json.PrivacyRequest), ct);

    /// <summary>
    /// The URI of the real-time endpoint <c>ws</c> under the base address, with the scheme mapped http→ws and
    /// https→wss. With <paramref name="tokenInQuery"/> and a non-null <see cref="AccessToken"/>, appends
    /// <c>?access_token=&lt;escaped token&gt;</c>.
    /// </summary>
    public Uri WebSocketUri(bool tokenInQuery = false)
    {
        var builder = new UriBuilder(Resolve("ws"));
        builder.Scheme = builder.Scheme switch
        {
            "https" or "wss" => "wss",
            _ => "ws",
        };
        if (tokenInQuery && AccessToken is { } token)
        {
            builder.Query = "access_token=" + Uri.EscapeDataString(token);
        }

        return builder.Uri;
    }

    private static JsonContent Body<T>(T value, JsonTypeInfo<T> info) => JsonContent.Create(value, info);

    private static string Path(FormattableString path) => path.ToString(CultureInfo.InvariantCulture);

    private static string? Str(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Query(string path, params (string Name, string? Value)[] parameters)
    {
        var sb = new StringBuilder(path);
        var first = true;
        foreach (var (name, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            sb.Append(first ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }

        return sb.ToString();
    }

    private Uri Resolve(string relative)
    {
        var baseAddress = _http.BaseAddress ?? throw new InvalidOperationException("HttpClient.BaseAddress must be set to the LIME server root.");
        if (!baseAddress.AbsolutePath.EndsWith('/'))
        {
            baseAddress = new UriBuilder(baseAddress) { Path = baseAddress.AbsolutePath + "/" }.Uri;
        }

        return new Uri(baseAddress, relative);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> responseInfo, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, path, content, ct);
        return await response.Content.ReadFromJsonAsync(responseInfo, ct)
            ?? throw new JsonException($"{method} {path}: the response body was empty or null.");
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var response = await SendCoreAsync(method, path, content, ct);
    }

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, Resolve(path)) { Content = content };
        if (AccessToken is { } token)
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
