using Lime.Protocol;

namespace Lime.Server.Storage;

/// <summary>
/// Events with AfterSeq &lt; seq &lt; BeforeSeq: the Limit nearest AfterSeq, or nearest BeforeSeq if NewestFirst; reading
/// stops after the event whose text takes the texts read past MaxTextChars characters (so at least one is read).
/// </summary>
public readonly record struct EventRange(long Room, long AfterSeq, long BeforeSeq, int Limit, bool NewestFirst, long MaxTextChars = long.MaxValue);

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
    /// <paramref name="afterSeq"/> (ascending) or to <paramref name="beforeSeq"/> (descending, returned ascending), read
    /// in that order until the texts read exceed <paramref name="maxTextChars"/> characters (at least one event is
    /// read): the bound on what one read holds in memory.</summary>
    Task<IReadOnlyList<EventDto>> GetEventsAsync(long roomId, long afterSeq, long beforeSeq, int limit, bool newestFirst, long maxTextChars, CancellationToken ct);

    /// <summary>
    /// <see cref="GetEventsAsync"/> for many ranges at once (one round trip where the backend allows), in order; once
    /// the texts read over all ranges exceed <paramref name="maxTotalTextChars"/>, the remaining ranges are not read
    /// and come back empty.
    /// </summary>
    Task<IReadOnlyList<EventDto>[]> GetEventsBatchAsync(IReadOnlyList<EventRange> ranges, long maxTotalTextChars, CancellationToken ct);

    /// <summary>Every member's read watermark in the given rooms.</summary>
    Task<IReadOnlyList<(long Room, MemberRead Read)>> GetReadsAsync(IReadOnlyCollection<long> roomIds, CancellationToken ct);

    /// <summary>Messages after <paramref name="afterSeq"/> not written by <paramref name="userId"/>.</summary>
    Task<long> CountUnreadAsync(long roomId, long userId, long afterSeq, CancellationToken ct);

    /// <summary>The user's unread messages over all rooms (the badge).</summary>
    Task<long> TotalUnreadAsync(long userId, CancellationToken ct);

    /// <summary>Everyone who shares a room of at most <paramref name="maxMembers"/> members with the user (not the user).</summary>
    Task<IReadOnlyList<long>> SmallRoomMatesAsync(long userId, int maxMembers, CancellationToken ct);

    /// <summary>
    /// Reactions to the messages with fromSeq ≤ seq ≤ toSeq, by message, emoji in the order of its earliest current
    /// reaction, and (with <paramref name="withUsers"/>) the users in the order they reacted.
    /// </summary>
    Task<IReadOnlyList<ReactionRow>> GetReactionsAsync(long roomId, long fromSeq, long toSeq, bool withUsers, CancellationToken ct);

    /// <summary>The messages the user hid for themself in the given rooms.</summary>
    Task<IReadOnlyList<(long Room, long Seq)>> GetHiddenAsync(long userId, IReadOnlyCollection<long> roomIds, CancellationToken ct);

    /// <summary>
    /// Messages that mention the user (by id or through @room), newest first, older than the message id
    /// <paramref name="beforeEventId"/>: only in rooms the user is still a member of, never deleted or hidden ones;
    /// read until the texts read exceed <paramref name="maxTextChars"/> characters (at least one is read).
    /// </summary>
    Task<IReadOnlyList<EventDto>> ListMentionsAsync(long userId, long beforeEventId, int limit, long maxTextChars, CancellationToken ct);

    /// <summary>Throws if the store cannot be reached.</summary>
    Task PingAsync(CancellationToken ct);
}
