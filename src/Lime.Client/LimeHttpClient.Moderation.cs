using Lime.Protocol;

namespace Lime.Client;

/// <summary>Room settings, deletion, bans, mutes, invite links, join requests and blocks (docs/protocol.md §11).</summary>
public sealed partial class LimeHttpClient
{
    /// <summary>PATCH api/rooms/{roomId}: changes name, topic, description or approval_required (owners and admins).</summary>
    public Task<OperationAckDto> UpdateRoomAsync(long roomId, UpdateRoomRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Patch, Path($"api/rooms/{roomId}"), Body(request, Json.UpdateRoomRequest), Json.OperationAckDto, ct);

    /// <summary>DELETE api/rooms/{roomId}: the owner deletes a group or channel.</summary>
    public Task DeleteRoomAsync(long roomId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/rooms/{roomId}"), null, ct);

    /// <summary>PUT api/rooms/{roomId}/bans/{userId}: bans (and removes) a user until unbanned.</summary>
    public Task<OperationAckDto> BanAsync(long roomId, long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, Path($"api/rooms/{roomId}/bans/{userId}"), null, Json.OperationAckDto, ct);

    /// <summary>DELETE api/rooms/{roomId}/bans/{userId}.</summary>
    public Task<OperationAckDto> UnbanAsync(long roomId, long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/rooms/{roomId}/bans/{userId}"), null, Json.OperationAckDto, ct);

    /// <summary>GET api/rooms/{roomId}/bans (owners and admins).</summary>
    public Task<BanListResponse> ListBansAsync(long roomId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Path($"api/rooms/{roomId}/bans"), null, Json.BanListResponse, ct);

    /// <summary>PUT api/rooms/{roomId}/members/{userId}/mute with <c>{duration_seconds}</c> (null: until unmuted).</summary>
    public Task<OperationAckDto> MuteMemberAsync(long roomId, long userId, long? durationSeconds = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, Path($"api/rooms/{roomId}/members/{userId}/mute"), Body(new MuteMemberRequest(durationSeconds), Json.MuteMemberRequest), Json.OperationAckDto, ct);

    /// <summary>DELETE api/rooms/{roomId}/members/{userId}/mute.</summary>
    public Task<OperationAckDto> UnmuteMemberAsync(long roomId, long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/rooms/{roomId}/members/{userId}/mute"), null, Json.OperationAckDto, ct);

    /// <summary>POST api/rooms/{roomId}/invites: a new invite link.</summary>
    public Task<InviteDto> CreateInviteAsync(long roomId, CreateInviteRequest request, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, Path($"api/rooms/{roomId}/invites"), Body(request, Json.CreateInviteRequest), Json.InviteDto, ct);

    /// <summary>GET api/rooms/{roomId}/invites (owners and admins).</summary>
    public Task<InviteListResponse> ListInvitesAsync(long roomId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Path($"api/rooms/{roomId}/invites"), null, Json.InviteListResponse, ct);

    /// <summary>DELETE api/rooms/{roomId}/invites/{inviteId}: revokes an invite link.</summary>
    public Task RevokeInviteAsync(long roomId, long inviteId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/rooms/{roomId}/invites/{inviteId}"), null, ct);

    /// <summary>GET api/invites/{code}: what the code leads to.</summary>
    public Task<InvitePreviewDto> PreviewInviteAsync(string code, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/invites/" + Uri.EscapeDataString(code), null, Json.InvitePreviewDto, ct);

    /// <summary>POST api/invites/{code}/join: joins (or, where approval is required, asks to join).</summary>
    public Task<JoinResultDto> JoinByInviteAsync(string code, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, "api/invites/" + Uri.EscapeDataString(code) + "/join", null, Json.JoinResultDto, ct);

    /// <summary>GET api/rooms/{roomId}/join-requests (owners and admins).</summary>
    public Task<JoinRequestListResponse> ListJoinRequestsAsync(long roomId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Path($"api/rooms/{roomId}/join-requests"), null, Json.JoinRequestListResponse, ct);

    /// <summary>POST api/rooms/{roomId}/join-requests/{userId}/approve.</summary>
    public Task ApproveJoinAsync(long roomId, long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, Path($"api/rooms/{roomId}/join-requests/{userId}/approve"), null, ct);

    /// <summary>DELETE api/rooms/{roomId}/join-requests/{userId}: rejects a join request.</summary>
    public Task RejectJoinAsync(long roomId, long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/rooms/{roomId}/join-requests/{userId}"), null, ct);

    /// <summary>PUT api/me/blocks/{userId}.</summary>
    public Task BlockAsync(long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, Path($"api/me/blocks/{userId}"), null, ct);

    /// <summary>DELETE api/me/blocks/{userId}.</summary>
    public Task UnblockAsync(long userId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, Path($"api/me/blocks/{userId}"), null, ct);

    /// <summary>GET api/me/blocks.</summary>
    public Task<BlockListResponse> ListBlocksAsync(CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, "api/me/blocks", null, Json.BlockListResponse, ct);
}
