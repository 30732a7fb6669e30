using System.Security.Cryptography;
using Lime.Protocol;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// Room settings, deletion and moderation — bans, member mutes, invite links, join requests — and per-user blocks,
/// for REST: validates the request, then writes it through the one <see cref="IRoomWriter"/>, which checks rights and
/// state at commit. Nothing is written for a refused request.
/// </summary>
public sealed class RoomModeration(IRoomWriter writer, IRoomStore rooms, IModerationStore moderation, IAccountStore accounts, IOptions<LimeOptions> options)
{
    private const int MaxNameLength = 100;
    private const int MaxTopicLength = 1000;
    private const int MaxDescriptionLength = 2000;
    private const long MaxMuteSeconds = 366L * 24 * 3600;
    private readonly LimitOptions _limits = options.Value.Limits;

    public async Task<OperationAckDto> UpdateRoomAsync(long userId, long roomId, UpdateRoomRequest request, CancellationToken ct = default)
    {
        string? name = request.Name is null ? null : VisibleName.Validate(request.Name, "name", MaxNameLength);

        if (request.Topic is { Length: > MaxTopicLength } || request.Description is { Length: > MaxDescriptionLength })
        {
            throw LimeException.Validation($"topic is limited to {MaxTopicLength} characters, description to {MaxDescriptionLength}.");
        }

        return Ack(await writer.WriteAsync(new UpdateRoom(roomId, userId, request.ClientMsgId, name, request.Topic?.Trim(), request.Description?.Trim(), request.ApprovalRequired), ct), roomId, request.ClientMsgId);
    }

    public async Task DeleteRoomAsync(long userId, long roomId, CancellationToken ct = default) =>
        await writer.WriteAsync(new DeleteRoom(roomId, userId, null), ct);

    public async Task<OperationAckDto> BanAsync(long userId, long roomId, long targetId, bool ban, CancellationToken ct = default)
    {
        if (targetId == userId)
        {
            throw LimeException.Validation("You cannot ban yourself.");
        }

        if ((await accounts.ExistingUserIdsAsync([targetId], ct)).Count == 0)
        {
            throw LimeException.NotFound("No such user.");
        }

        return Ack(await writer.WriteAsync(new SetBan(roomId, userId, null, targetId, ban), ct), roomId, null);
    }

    public async Task<BanListResponse> ListBansAsync(long userId, long roomId, CancellationToken ct = default)
    {
        await RequireModeratorAsync(userId, roomId, ct);
        return new BanListResponse([.. await moderation.ListBansAsync(roomId, ct)]);
    }

    public async Task<OperationAckDto> MuteAsync(long userId, long roomId, long targetId, long? durationSeconds, bool mute, CancellationToken ct = default)
    {
        if (targetId == userId)
        {
            throw LimeException.Validation("You cannot mute yourself.");
        }

        if (durationSeconds is < 1 or > MaxMuteSeconds)
        {
            throw LimeException.Validation($"duration_seconds is 1-{MaxMuteSeconds} (absent: until unmuted).");
        }

        long? until = durationSeconds is { } d ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (d * 1000) : null;
        return Ack(await writer.WriteAsync(new SetMute(roomId, userId, null, targetId, mute, until), ct), roomId, null);
    }

    public async Task<InviteDto> CreateInviteAsync(long userId, long roomId, CreateInviteRequest request, CancellationToken ct = default)
    {
        if (request.ExpiresInSeconds is < 60 or > MaxMuteSeconds || request.MaxUses is < 1 or > 1_000_000)
        {
            throw LimeException.Validation("expires_in_seconds is 60-31622400 and max_uses 1-1000000 (absent: no limit).");
        }

        // 128 random bits, URL-safe: unguessable, so holding the code is what grants the way in.
        string code = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        long? expires = request.ExpiresInSeconds is { } s ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (s * 1000) : null;
        var result = await writer.WriteAsync(new CreateInvite(roomId, userId, null, code, expires, request.MaxUses), ct);
        return await moderation.GetInviteAsync(result.Events[0].Invite!.Value, ct) ?? throw new InvalidOperationException("The invite just created is missing.");
    }

    public async Task<InviteListResponse> ListInvitesAsync(long userId, long roomId, CancellationToken ct = default)
    {
        await RequireModeratorAsync(userId, roomId, ct);
        return new InviteListResponse([.. await moderation.ListInvitesAsync(roomId, ct)]);
    }

    public async Task RevokeInviteAsync(long userId, long roomId, long inviteId, CancellationToken ct = default) =>
        await writer.WriteAsync(new RevokeInvite(roomId, userId, null, inviteId), ct);

    /// <summary>What a code leads to; shown to anyone signed in who holds it (never the room's content).</summary>
    public async Task<InvitePreviewDto> PreviewInviteAsync(string code, CancellationToken ct = default)
    {
        var (invite, room) = await FindInviteAsync(code, ct);
        if (invite.Revoked || invite.ExpiresAt <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() || invite.Uses >= invite.MaxUses)
        {
            throw new LimeException(ErrorCodes.InviteInvalid, "This invite was revoked, has expired or is used up.");
        }

        return new InvitePreviewDto(room.Id, room.Kind, room.Name, room.Topic, (int)room.MemberCount, room.ApprovalRequired != 0);
    }

    public async Task<JoinResultDto> JoinByInviteAsync(long userId, string code, CancellationToken ct = default)
    {
        var (_, room) = await FindInviteAsync(code, ct);
        return await JoinAsync(userId, new JoinRoom(room.Id, userId, code, MaxMembers(room.Kind)), ct);
    }

    /// <summary>Joining a channel that requires approval: a join request (pending) instead of membership.</summary>
    public Task<JoinResultDto> RequestJoinAsync(long userId, long roomId, string kind, CancellationToken ct = default) =>
        JoinAsync(userId, new JoinRoom(roomId, userId, null, MaxMembers(kind)), ct);

    public async Task<JoinRequestListResponse> ListJoinRequestsAsync(long userId, long roomId, CancellationToken ct = default)
    {
        await RequireModeratorAsync(userId, roomId, ct);
        return new JoinRequestListResponse([.. await moderation.ListJoinRequestsAsync(roomId, ct)]);
    }

    public async Task ResolveJoinRequestAsync(long userId, long roomId, long requesterId, bool approve, CancellationToken ct = default)
    {
        var room = await rooms.GetRoomAsync(roomId, ct) ?? throw LimeException.NotFound("No such room.");
        await writer.WriteAsync(new ResolveJoinRequest(roomId, userId, null, requesterId, approve, MaxMembers(room.Kind)), ct);
    }

    public async Task<bool> BlockAsync(long userId, long peerId, bool block, CancellationToken ct = default)
    {
        if (peerId == userId || peerId <= 0)
        {
            throw LimeException.Validation("user_id must be another user.");
        }

        if ((await accounts.ExistingUserIdsAsync([peerId], ct)).Count == 0)
        {
            throw LimeException.NotFound("No such user.");
        }

        var direct = await rooms.FindDirectAsync(ChatService.DirectKey(userId, peerId), ct);
        return (await writer.WriteAsync(new SetBlock(direct?.Id ?? 0, userId, peerId, block), ct)).Changed;
    }

    public async Task<BlockListResponse> ListBlocksAsync(long userId, CancellationToken ct = default) =>
        new([.. await moderation.ListBlocksAsync(userId, ct)]);

    private async Task<JoinResultDto> JoinAsync(long userId, JoinRoom join, CancellationToken ct)
    {
        var result = await writer.WriteAsync(join, ct);
        var member = await rooms.GetMemberAsync(join.RoomId, userId, ct);
        return member is null ? new JoinResultDto(true) : new JoinResultDto(false, ChatService.ToDto(result.Room!, member.Role, userId));
    }

    private async Task<(InviteDto Invite, RoomRecord Room)> FindInviteAsync(string code, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(code) || code.Length > 64)
        {
            throw LimeException.NotFound("No such invite.");
        }

        var invite = await moderation.FindInviteAsync(code, ct) ?? throw LimeException.NotFound("No such invite.");
        var room = await rooms.GetRoomAsync(invite.Room, ct) ?? throw new LimeException(ErrorCodes.InviteInvalid, "The room of this invite was deleted.");
        return (invite, room);
    }

    private async Task RequireModeratorAsync(long userId, long roomId, CancellationToken ct)
    {
        _ = await rooms.GetRoomAsync(roomId, ct) ?? throw LimeException.NotFound("No such room.");
        var member = await rooms.GetMemberAsync(roomId, userId, ct);
        if (member?.Role is not (Roles.Owner or Roles.Admin))
        {
            throw LimeException.Forbidden("Only the owner and admins can see that.");
        }
    }

    private long MaxMembers(string kind) => kind == RoomKinds.Group ? _limits.MaxGroupMembers : _limits.MaxChannelMembers;

    private static OperationAckDto Ack(RoomWriteResult result, long roomId, string? clientMsgId) => result.Ack is { } ack
        ? new OperationAckDto(roomId, true, ack.Duplicate, ack.Id, ack.Seq, ack.Ts, clientMsgId)
        : new OperationAckDto(roomId, false, false, ClientMsgId: clientMsgId);
}
