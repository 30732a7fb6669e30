using Lime.Protocol;

namespace Lime.Server.Storage;

/// <summary>
/// Reads of rooms, members and events. Reads see only committed writes; an event visible here has its final
/// seq and will never change.
/// </summary>
public interface IRoomStore
{
    Task<RoomRecord?> GetRoomAsync(long roomId, CancellationToken ct);

    Task<RoomRecord?> FindDirectAsync(string directKey, CancellationToken ct);

    Task<MemberRecord?> GetMemberAsync(long roomId, long userId, CancellationToken ct);

    /// <summary>Members ordered by user id, starting after <paramref name="afterUserId"/>.</summary>
    Task<IReadOnlyList<MemberDto>> ListMembersAsync(long roomId, long afterUserId, int limit, CancellationToken ct);

    /// <summary>The member who has been in the room longest among those with the given role, other than <paramref name="except"/>.</summary>
    Task<long?> OldestMemberWithRoleAsync(long roomId, string role, long except, CancellationToken ct);

    Task<IReadOnlyList<long>> RoomIdsOfUserAsync(long userId, CancellationToken ct);

    /// <summary>A user's rooms by last activity (newest first), after the (activity, id) cursor.</summary>
    Task<IReadOnlyList<RoomListRow>> ListRoomsOfUserAsync(long userId, (long ActivityAt, long RoomId)? after, int limit, CancellationToken ct);

    /// <summary>Open channels whose name starts with <paramref name="prefix"/> (case-insensitive), by name then id.</summary>
    Task<IReadOnlyList<RoomRecord>> SearchChannelsAsync(string prefix, (string Name, long RoomId)? after, int limit, CancellationToken ct);

    /// <summary>Events with afterSeq &lt; seq &lt; beforeSeq, the <paramref name="limit"/> nearest to
    /// <paramref name="afterSeq"/> (ascending) or to <paramref name="beforeSeq"/> (descending, returned ascending).</summary>
    Task<IReadOnlyList<EventDto>> GetEventsAsync(long roomId, long afterSeq, long beforeSeq, int limit, bool newestFirst, CancellationToken ct);

    /// <summary>Throws if the store cannot be reached.</summary>
    Task PingAsync(CancellationToken ct);
}
