using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Lime.Protocol;
using Lime.Server.Diagnostics;
using Lime.Server.Fanout;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// Every room operation, for REST and socket alike: validates, authorizes, then writes through the one
/// <see cref="IRoomWriter"/> (which commits durably and publishes to the fanout). Nothing is written for a
/// refused request.
/// </summary>
public sealed class ChatService : IDisposable
{
    private const int MaxClientMsgIdLength = 64;
    private const int MaxNameLength = 100;
    private const int MaxTopicLength = 1000;

    private readonly IRoomWriter _writer;
    private readonly IRoomStore _rooms;
    private readonly IAccountStore _accounts;
    private readonly LimitOptions _limits;
    private readonly PartitionedRateLimiter<long> _sendLimiter;
    private readonly MessageStates _states;

    private readonly IModerationStore _moderation;
    private readonly RoomModeration _moderate;
    private readonly IFanout _fanout;
    private readonly MessageOptions _messages;
    private readonly LimeMetrics _metrics;
    private readonly AttachmentOptions _attachments;
    private readonly RoomBudget _roomBudget;

    public ChatService(IRoomWriter writer, IRoomStore rooms, IAccountStore accounts, MessageStates states, IModerationStore moderation, RoomModeration moderate,
        IFanout fanout, LimeMetrics metrics, RoomBudget roomBudget, IOptions<LimeOptions> options)
    {
        _roomBudget = roomBudget;
        _metrics = metrics;
        _fanout = fanout;
        _messages = options.Value.Messages;
        _attachments = options.Value.Attachments;
        _moderation = moderation;
        _moderate = moderate;
        _writer = writer;
        _states = states;
        _rooms = rooms;
        _accounts = accounts;
        _limits = options.Value.Limits;
        var limits = _limits;
        _sendLimiter = PartitionedRateLimiter.Create<long, long>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.SendBurst,
            TokensPerPeriod = limits.SendsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    public void Dispose() => _sendLimiter.Dispose();

    /// <summary>
    /// Sends a message. The returned ack means the message is durably committed with its seq. <paramref name="mentions"/>
    /// (user ids) and <paramref name="mentionRoom"/> (@room) are settled at commit (docs/protocol.md §12); each member
    /// mentioned by id then gets a live <c>mention</c> frame.
    /// </summary>
    public Task<AckDto> SendAsync(long userId, long roomId, string? clientMsgId, string? text, long? replyTo, long[]? mentions = null, bool? mentionRoom = null,
        string[]? attachments = null, CancellationToken ct = default)
    {
        long started = Stopwatch.GetTimestamp();
        var caller = Activity.Current;
        var trace = LimeTracing.StartSend(roomId, userId); // current while the write is queued: its commit span's parent
        AppendMessage write;
        try
        {
            write = ValidSend(userId, roomId, clientMsgId, text, replyTo, mentions, mentionRoom, attachments);
        }
        catch (LimeException e)
        {
            _metrics.Sent(LimeMetrics.ResultOf(e), started);
            LimeTracing.EndSend(trace, null, e.Code);
            throw;
        }

        var sending = SendCoreAsync(write, started, trace, ct);
        if (trace is not null)
        {
            Activity.Current = caller; // this method is not async: its caller would otherwise keep the send span as current
        }

        return sending;
    }

    /// <summary>The send as a write, or the refusal (nothing written): checks, then the user's rate limit.</summary>
    private AppendMessage ValidSend(long userId, long roomId, string? clientMsgId, string? text, long? replyTo, long[]? mentions, bool? mentionRoom, string[]? attachments)
    {
        if (string.IsNullOrEmpty(clientMsgId) || clientMsgId.Length > MaxClientMsgIdLength)
        {
            throw LimeException.Validation($"client_msg_id is required (1-{MaxClientMsgIdLength} characters).");
        }

        long[]? files = AttachmentIds(attachments);
        if (string.IsNullOrWhiteSpace(text))
        {
            if (files is null)
            {
                throw LimeException.Validation("text is required and must not be blank (unless the message carries attachments).");
            }

            text = null;
        }

        int bytes = text is null ? 0 : text.Length <= _limits.MaxTextBytes / 3 ? text.Length : Encoding.UTF8.GetByteCount(text);
        if (bytes > _limits.MaxTextBytes)
        {
            throw new LimeException(ErrorCodes.MessageTooLarge, $"text is {bytes} UTF-8 bytes; the limit is {_limits.MaxTextBytes}.");
        }

        if (mentions is { } ids && (ids.Length > _messages.MaxMentions || ids.Any(u => u <= 0)))
        {
            throw LimeException.Validation($"mentions holds at most {_messages.MaxMentions} user ids, each a positive number.");
        }

        long[]? named = mentions?.Where(u => u != userId).Distinct().ToArray() is { Length: > 0 } others ? others : null;

        using var lease = _sendLimiter.AttemptAcquire(userId);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            throw new LimeException(ErrorCodes.RateLimited, "Too many messages; slow down.", retryAfter);
        }

        return new AppendMessage(roomId, userId, clientMsgId, text, replyTo, named, mentionRoom == true, files);
    }

    /// <summary>The upload ids of a send (strings of positive numbers, distinct, at most MaxPerMessage), or null for none.</summary>
    private long[]? AttachmentIds(string[]? attachments)
    {
        if (attachments is null || attachments.Length == 0)
        {
            return null;
        }

        int max = _attachments.MaxPerMessage;
        var ids = new long[attachments.Length];
        for (int i = 0; i < attachments.Length; i++)
        {
            if (attachments.Length > max || !long.TryParse(attachments[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]) || ids[i] <= 0)
            {
                throw LimeException.Validation($"attachments holds at most {max} upload ids, each a string of a positive number.");
            }
        }

        if (ids.Distinct().Count() != ids.Length)
        {
            throw LimeException.Validation("attachments lists an upload twice.");
        }

        return ids;
    }

    private async Task<AckDto> SendCoreAsync(AppendMessage write, long started, Activity? trace, CancellationToken ct)
    {
        RoomWriteResult result;
        try
        {
            result = await _writer.WriteAsync(write, ct);
        }
        catch (LimeException e)
        {
            _metrics.Sent(LimeMetrics.ResultOf(e), started);
            LimeTracing.EndSend(trace, null, e.Code);
            throw;
        }
        catch
        {
            _metrics.Sent(SendResult.Failed, started);
            LimeTracing.EndSend(trace, null, ErrorCodes.Internal);
            throw;
        }

        _metrics.Sent(result.Ack!.Duplicate ? SendResult.Duplicate : SendResult.Ok, started);
        LimeTracing.EndSend(trace, result.Ack, null);
        if (result.Events is [{ Mentions: { Length: > 0 } mentioned } message])
        {
            // After the commit, at most once (a retry that finds the message stored sends none): the truth is GET api/me/mentions.
            byte[] frame = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new MentionFrame(message.Room, message.Seq, message.Sender), SocketJson.Context.MentionFrame);
            _fanout.Signal(new Signal(null, mentioned, frame));
        }

        return result.Ack!;
    }

    /// <summary>
    /// The messages that mention the user, newest first (<see cref="IRoomStore.ListMentionsAsync"/>); the cursor is the
    /// last message's id.
    /// </summary>
    public async Task<MentionListResponse> ListMentionsAsync(long userId, string? cursor, int? limit, CancellationToken ct = default)
    {
        long before = long.MaxValue;
        if (cursor is not null && !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out before))
        {
            throw LimeException.Validation("Malformed cursor.");
        }

        int take = PageSize(limit);
        // Cut to MaxReplyBytes like every page of events; a cut page has a next cursor like a full one.
        var cap = new ReplyCap(_limits.MaxReplyBytes);
        var events = await _rooms.ListMentionsAsync(userId, before, take, cap.TextChars, ct);
        int keep = cap.Fit(events, fromEnd: false);
        return new MentionListResponse([.. events.Take(keep)], keep < events.Count || events.Count == take ? events[keep - 1].Id : null);
    }

    /// <summary>Gets or creates the one direct room of two users.</summary>
    public async Task<(RoomDto Room, bool Created)> CreateDirectAsync(long userId, long peerId, CancellationToken ct = default)
    {
        if (peerId <= 0)
        {
            throw LimeException.Validation("user_id is required.");
        }

        if (peerId == userId)
        {
            throw LimeException.Validation("A direct room needs another user.");
        }

        if ((await _accounts.ExistingUserIdsAsync([peerId], ct)).Count == 0)
        {
            throw LimeException.NotFound("No such user.");
        }

        if (await _moderation.BlockedEitherWayAsync(userId, peerId, ct))
        {
            throw new LimeException(ErrorCodes.Blocked, "One of you blocked the other; no direct room can be opened.");
        }

        string key = DirectKey(userId, peerId);
        if (await _rooms.FindDirectAsync(key, ct) is { } existing)
        {
            return (ToDto(existing, Roles.Member, userId), false);
        }

        _roomBudget.Spend(userId); // only a new direct room costs one
        var result = await _writer.WriteAsync(new CreateRoom(RoomKinds.Direct, null, null, userId, [peerId], key), ct);
        return (ToDto(result.Room!, Roles.Member, userId), result.Events.Count > 0);
    }

    public async Task<RoomDto> CreateRoomAsync(long userId, CreateRoomRequest request, CancellationToken ct = default)
    {
        if (request.Kind is not (RoomKinds.Group or RoomKinds.Channel))
        {
            throw LimeException.Validation("kind must be 'group' or 'channel' (direct rooms: POST /api/rooms/direct).");
        }

        string name = ValidName(request.Name);
        if (request.Topic is { Length: > MaxTopicLength })
        {
            throw LimeException.Validation($"topic is limited to {MaxTopicLength} characters.");
        }

        long[] members = (request.Members ?? []).Where(u => u != userId).Distinct().ToArray();
        long max = request.Kind == RoomKinds.Group ? _limits.MaxGroupMembers : _limits.MaxChannelMembers;
        if (members.Length + 1 > max)
        {
            throw LimeException.Validation($"A {request.Kind} is limited to {max} members.");
        }

        await RequireUsersAsync(members, ct);
        _roomBudget.Spend(userId);
        var result = await _writer.WriteAsync(new CreateRoom(request.Kind, name, request.Topic, userId, members, null), ct);
        return ToDto(result.Room!, Roles.Owner, userId);
    }

    public async Task<RoomDto> GetRoomAsync(long userId, long roomId, CancellationToken ct = default)
    {
        var room = await _rooms.GetRoomAsync(roomId, ct) ?? throw LimeException.NotFound("No such room.");
        var member = await _rooms.GetMemberAsync(roomId, userId, ct);
        if (member is null && room.Kind != RoomKinds.Channel)
        {
            throw LimeException.Forbidden("You are not a member of this room.");
        }

        return ToDto(room, member?.Role, userId);
    }

    /// <summary>Joins an open channel; one that requires approval gets a join request instead (pending).</summary>
    public async Task<JoinResultDto> JoinAsync(long userId, long roomId, CancellationToken ct = default)
    {
        var room = await _rooms.GetRoomAsync(roomId, ct) ?? throw LimeException.NotFound("No such room.");
        if (room.Kind != RoomKinds.Channel)
        {
            throw LimeException.Forbidden("Only open channels can be joined; groups need an invitation.");
        }

        if (room.ApprovalRequired != 0 && await _rooms.GetMemberAsync(roomId, userId, ct) is null)
        {
            return await _moderate.RequestJoinAsync(userId, roomId, room.Kind, ct);
        }

        if ((await _moderation.BannedAsync(roomId, [userId], ct)).Count > 0)
        {
            throw new LimeException(ErrorCodes.Banned, "You are banned from this room.");
        }

        var result = await _writer.WriteAsync(new AddMembers(roomId, userId, [userId], EventKinds.MembersJoined, _limits.MaxChannelMembers), ct);
        var member = await _rooms.GetMemberAsync(roomId, userId, ct)
            ?? throw new LimeException(ErrorCodes.Banned, "You are banned from this room."); // banned while the join was queued
        return new JoinResultDto(false, ToDto(result.Room!, member.Role, userId));
    }

    /// <summary>The key of the one direct room of two users.</summary>
    internal static string DirectKey(long a, long b) => string.Create(CultureInfo.InvariantCulture, $"{Math.Min(a, b)}:{Math.Max(a, b)}");

    public async Task LeaveAsync(long userId, long roomId, CancellationToken ct = default)
    {
        var (room, me) = await RequireMemberAsync(userId, roomId, ct);
        if (room.Kind == RoomKinds.Direct)
        {
            throw LimeException.Validation("A direct room cannot be left.");
        }

        long? heir = null;
        if (me.Role == Roles.Owner)
        {
            heir = await _rooms.OldestMemberWithRoleAsync(roomId, Roles.Admin, userId, ct)
                ?? await _rooms.OldestMemberWithRoleAsync(roomId, Roles.Member, userId, ct);
        }

        await _writer.WriteAsync(new RemoveMember(roomId, userId, userId, EventKinds.MemberLeft, heir), ct);
    }

    public async Task AddMembersAsync(long userId, long roomId, long[] userIds, CancellationToken ct = default)
    {
        var (room, me) = await RequireMemberAsync(userId, roomId, ct);
        if (room.Kind == RoomKinds.Direct)
        {
            throw LimeException.Validation("Members cannot be added to a direct room.");
        }

        RequireAdmin(me);
        if (userIds is null || userIds.Length == 0)
        {
            throw LimeException.Validation("user_ids must list at least one user.");
        }

        long max = room.Kind == RoomKinds.Group ? _limits.MaxGroupMembers : _limits.MaxChannelMembers;
        if (userIds.Length > max)
        {
            throw LimeException.Validation($"A {room.Kind} is limited to {max} members.");
        }

        await RequireUsersAsync(userIds, ct);
        if (await _moderation.BannedAsync(roomId, userIds, ct) is { Count: > 0 } banned)
        {
            throw new LimeException(ErrorCodes.Banned, "Banned from this room until unbanned: " + string.Join(", ", banned));
        }

        await _writer.WriteAsync(new AddMembers(roomId, userId, userIds, EventKinds.MembersAdded, max), ct);
    }

    public async Task RemoveMemberAsync(long userId, long roomId, long targetId, CancellationToken ct = default)
    {
        if (targetId == userId)
        {
            await LeaveAsync(userId, roomId, ct);
            return;
        }

        var (room, me) = await RequireMemberAsync(userId, roomId, ct);
        if (room.Kind == RoomKinds.Direct)
        {
            throw LimeException.Validation("Members cannot be removed from a direct room.");
        }

        RequireAdmin(me);
        var target = await _rooms.GetMemberAsync(roomId, targetId, ct) ?? throw LimeException.NotFound("That user is not a member of this room.");
        if (target.Role == Roles.Owner || (target.Role == Roles.Admin && me.Role != Roles.Owner))
        {
            throw LimeException.Forbidden("Only the owner can remove an admin, and nobody can remove the owner.");
        }

        await _writer.WriteAsync(new RemoveMember(roomId, userId, targetId, EventKinds.MemberRemoved, null), ct);
    }

    public async Task SetRoleAsync(long userId, long roomId, long targetId, string? role, CancellationToken ct = default)
    {
        if (role is not (Roles.Admin or Roles.Member))
        {
            throw LimeException.Validation("role must be 'admin' or 'member'.");
        }

        var (room, me) = await RequireMemberAsync(userId, roomId, ct);
        if (room.Kind == RoomKinds.Direct)
        {
            throw LimeException.Validation("A direct room has no roles.");
        }

        if (me.Role != Roles.Owner)
        {
            throw LimeException.Forbidden("Only the owner can change roles.");
        }

        if (targetId == userId)
        {
            throw LimeException.Validation("The owner's role cannot be changed.");
        }

        await _writer.WriteAsync(new SetRole(roomId, userId, targetId, role), ct);
    }

    public async Task<MemberListResponse> ListMembersAsync(long userId, long roomId, string? cursor, int? limit, CancellationToken ct = default)
    {
        await RequireMemberAsync(userId, roomId, ct);
        long after = 0;
        if (cursor is not null && !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            throw LimeException.Validation("Malformed cursor.");
        }

        int take = PageSize(limit);
        var members = await _rooms.ListMembersAsync(roomId, after, take, ct);
        string? next = members.Count == take ? members[^1].UserId.ToString(CultureInfo.InvariantCulture) : null;
        return new MemberListResponse([.. members], next);
    }

    /// <summary>The user's rooms, most recently active first, each with its newest message and unread count.</summary>
    public async Task<RoomListResponse> ListRoomsAsync(long userId, string? cursor, int? limit, CancellationToken ct = default)
    {
        (long, long)? after = null;
        if (cursor is not null)
        {
            string[] parts = cursor.Split('_');
            if (parts.Length != 2
                || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long at)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                throw LimeException.Validation("Malformed cursor.");
            }

            after = (at, id);
        }

        int take = PageSize(limit);
        var rows = await _rooms.ListRoomsOfUserAsync(userId, after, take, ct);
        var items = rows.Select(r => new RoomSummaryDto(ToDto(r.Room, r.Member.Role, userId), r.LastMessage, r.Member.ReadSeq, r.UnreadCount)).ToArray();
        string? next = rows.Count == take ? string.Create(CultureInfo.InvariantCulture, $"{rows[^1].Room.LastActivityAt}_{rows[^1].Room.Id}") : null;
        return new RoomListResponse(items, next);
    }

    public async Task<ChannelListResponse> SearchChannelsAsync(long userId, string? query, string? cursor, int? limit, CancellationToken ct = default)
    {
        (string, long)? after = null;
        if (cursor is not null)
        {
            int cut = cursor.LastIndexOf('_');
            if (cut < 0 || !long.TryParse(cursor.AsSpan(cut + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                throw LimeException.Validation("Malformed cursor.");
            }

            after = (cursor[..cut], id);
        }

        int take = PageSize(limit);
        var rooms = await _rooms.SearchChannelsAsync((query ?? "").Trim(), after, take, ct);
        var items = rooms.Select(r => ToDto(r, null, userId)).ToArray();
        string? next = rooms.Count == take ? $"{rooms[^1].Name!.ToLowerInvariant()}_{rooms[^1].Id.ToString(CultureInfo.InvariantCulture)}" : null;
        return new ChannelListResponse(items, next);
    }

    /// <summary>
    /// A page of events: <paramref name="around"/> centres on a seq (reply-jump); <paramref name="after"/> pages
    /// forward; otherwise pages backward from <paramref name="before"/> (default: the newest).
    /// </summary>
    public async Task<HistoryPage> GetHistoryAsync(long userId, long roomId, long? before, long? after, long? around, int? limit, CancellationToken ct = default)
    {
        int take = PageSize(limit);
        if ((before ?? 1) < 0 || (after ?? 0) < 0 || (around ?? 1) < 1)
        {
            throw LimeException.Validation("before/after must be ≥ 0 and around ≥ 1.");
        }

        if (around is not null && (before is not null || after is not null))
        {
            throw LimeException.Validation("around cannot be combined with before/after.");
        }

        var (room, _) = await RequireMemberAsync(userId, roomId, ct);

        // At most MaxReplyBytes of events, measured with their state: a forward page keeps its oldest events, a
        // backward page its newest, a page around a seq the events nearest to it; the flags below then say what lies
        // beyond, as for any page. The store reads stop at that much text, which bounds what this read holds.
        var cap = new ReplyCap(_limits.MaxReplyBytes);
        var hidden = (await _states.HiddenAsync(userId, [roomId], ct)).GetValueOrDefault(roomId);
        List<EventDto> events;
        if (around is { } centre)
        {
            int older = take / 2;
            var head = await _rooms.GetEventsAsync(roomId, 0, centre, older, newestFirst: true, cap.TextChars / 2, ct);
            var tail = await _rooms.GetEventsAsync(roomId, centre - 1, long.MaxValue, take - head.Count, newestFirst: false, Math.Max(0, cap.TextChars - head.Sum(e => (long)(e.Text?.Length ?? 0))), ct);
            events = [.. await _states.ApplyAsync(roomId, room.MemberCount, [.. head, .. tail], hidden, ct)];
            var (dropHead, dropTail) = cap.FitAround(events, head.Count);
            events = events.GetRange(dropHead, events.Count - dropHead - dropTail);
        }
        else if (after is { } from && before is null)
        {
            var read = await _rooms.GetEventsAsync(roomId, from, long.MaxValue, take, newestFirst: false, cap.TextChars, ct);
            events = [.. await _states.ApplyAsync(roomId, room.MemberCount, read, hidden, ct)];
            int keep = cap.Fit(events, fromEnd: false);
            events.RemoveRange(keep, events.Count - keep);
        }
        else
        {
            var read = await _rooms.GetEventsAsync(roomId, after ?? 0, before ?? long.MaxValue, take, newestFirst: true, cap.TextChars, ct);
            events = [.. await _states.ApplyAsync(roomId, room.MemberCount, read, hidden, ct)];
            events.RemoveRange(0, events.Count - cap.Fit(events, fromEnd: true));
        }

        bool moreBefore, moreAfter;
        // Events before retained_from were removed (purge, retention): nothing lies before it to fetch.
        long oldest = Math.Max(1, room.RetainedFrom);
        if (events.Count > 0)
        {
            moreBefore = events[0].Seq > oldest;
            moreAfter = events[^1].Seq < room.LastSeq;
        }
        else
        {
            // The window holds nothing: say whether anything lies on either side of it. (An empty page around a
            // seq means the seq is past the end.)
            long low = around is null ? after ?? 0 : long.MaxValue;
            long high = around is null ? before ?? long.MaxValue : long.MaxValue;
            moreBefore = low >= oldest && room.LastSeq >= oldest;
            moreAfter = high <= room.LastSeq;
        }

        // The page's messages carry their state as of this read: every operation up to as_of is in it.
        long asOf = Math.Max(room.LastSeq, events.Count > 0 ? events[^1].Seq : 0);
        return new HistoryPage([.. events], moreBefore, moreAfter, asOf, room.RetainedFrom > 1 ? room.RetainedFrom : null);
    }

    public Task<IReadOnlyList<long>> RoomIdsOfUserAsync(long userId, CancellationToken ct = default) => _rooms.RoomIdsOfUserAsync(userId, ct);

    private async Task<(RoomRecord Room, MemberRecord Member)> RequireMemberAsync(long userId, long roomId, CancellationToken ct)
    {
        var room = await _rooms.GetRoomAsync(roomId, ct) ?? throw LimeException.NotFound("No such room.");
        var member = await _rooms.GetMemberAsync(roomId, userId, ct) ?? throw LimeException.Forbidden("You are not a member of this room.");
        return (room, member);
    }

    private static void RequireAdmin(MemberRecord me)
    {
        if (me.Role is not (Roles.Owner or Roles.Admin))
        {
            throw LimeException.Forbidden("Only the owner and admins can do that.");
        }
    }

    private async Task RequireUsersAsync(long[] userIds, CancellationToken ct)
    {
        var existing = await _accounts.ExistingUserIdsAsync(userIds, ct);
        if (existing.Count != userIds.Distinct().Count())
        {
            throw LimeException.NotFound("Some users do not exist: " + string.Join(", ", userIds.Except(existing)));
        }
    }

    private int PageSize(int? limit)
    {
        if (limit is < 1 || limit > _limits.MaxPageSize)
        {
            throw LimeException.Validation($"limit must be 1-{_limits.MaxPageSize}.");
        }

        return limit ?? 50;
    }

    private static string ValidName(string? name) => VisibleName.Validate(name, "name", MaxNameLength);

    internal static RoomDto ToDto(RoomRecord r, string? myRole, long me)
    {
        long? peer = null;
        if (r.DirectKey is { } key)
        {
            int cut = key.IndexOf(':', StringComparison.Ordinal);
            long a = long.Parse(key.AsSpan(0, cut), CultureInfo.InvariantCulture);
            long b = long.Parse(key.AsSpan(cut + 1), CultureInfo.InvariantCulture);
            peer = a == me ? b : a;
        }

        long[]? pinned = r.Pinned is null ? null : System.Text.Json.JsonSerializer.Deserialize(r.Pinned, StorageJsonContext.Default.Int64Array);
        return new RoomDto(r.Id, r.Kind, r.Name, r.Topic, r.CreatedBy, r.CreatedAt, r.LastSeq, r.LastActivityAt, (int)r.MemberCount, myRole, peer, pinned,
            r.Description, r.ApprovalRequired != 0 ? true : null);
    }
}
