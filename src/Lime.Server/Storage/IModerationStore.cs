using Lime.Protocol;

namespace Lime.Server.Storage;

/// <summary>
/// Reads of bans, invite links, join requests and blocks (written by the room writer). Reads see committed writes only.
/// </summary>
public interface IModerationStore
{
    Task<IReadOnlyList<BanDto>> ListBansAsync(long roomId, CancellationToken ct);

    /// <summary>The users among <paramref name="userIds"/> banned from the room.</summary>
    Task<IReadOnlyList<long>> BannedAsync(long roomId, IReadOnlyCollection<long> userIds, CancellationToken ct);

    Task<IReadOnlyList<InviteDto>> ListInvitesAsync(long roomId, CancellationToken ct);

    Task<InviteDto?> FindInviteAsync(string code, CancellationToken ct);

    Task<InviteDto?> GetInviteAsync(long inviteId, CancellationToken ct);

    Task<IReadOnlyList<JoinRequestDto>> ListJoinRequestsAsync(long roomId, CancellationToken ct);

    Task<IReadOnlyList<BlockDto>> ListBlocksAsync(long userId, CancellationToken ct);

    /// <summary>Whether either user blocked the other.</summary>
    Task<bool> BlockedEitherWayAsync(long userId, long otherId, CancellationToken ct);

    /// <summary>Everyone the user blocked or was blocked by (they see nothing of each other's presence).</summary>
    Task<IReadOnlySet<long>> BlockedPeersAsync(long userId, CancellationToken ct);
}
