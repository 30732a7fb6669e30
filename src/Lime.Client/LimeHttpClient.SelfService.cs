using System.Net.Http.Headers;
using Lime.Protocol;

namespace Lime.Client;

public sealed partial class LimeHttpClient
{
    /// <summary>DELETE api/me/devices/{id}: logs out one of my devices (its tokens refused, its sockets closed).</summary>
    public Task RevokeDeviceAsync(long deviceId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/me/devices/{deviceId}"), null, ct);

    /// <summary>DELETE api/me: deletes my account (the password is checked again).</summary>
    public Task DeleteAccountAsync(string password, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, "api/me", Body(new DeleteAccountRequest(password), Json.DeleteAccountRequest), ct);

    /// <summary>PUT api/rooms/{id}/retention: the room's message TTL in days (0: keep; null: the server default).</summary>
    public Task<OperationAckDto> SetRetentionAsync(long roomId, int? days, string? clientMsgId = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, Path($"api/rooms/{roomId}/retention"), Body(new SetRetentionRequest(days, clientMsgId), Json.SetRetentionRequest), Json.OperationAckDto, ct);

    /// <summary>GET api/me/export as a stream (the caller disposes it): one JSON document, read while the server writes it.</summary>
    public async Task<Stream> OpenExportAsync(CancellationToken ct = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Resolve("api/me/export"));
        if (AccessToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw await LimeApiException.FromResponseAsync(response, ct);
            }
        }

        return await response.Content.ReadAsStreamAsync(ct);
    }
}
