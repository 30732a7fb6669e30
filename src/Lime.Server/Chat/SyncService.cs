using System.Diagnostics;
using Lime.Protocol;
using Lime.Server.Diagnostics;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// Catch-up in one round trip: given a device's cursors, returns for every room of the user what it missed (or a
/// snapshot when the room is new to the device or too far behind), with read state, and the rooms it left.
/// Call it after the connection is subscribed: whatever commits after the reads here arrives live, so a client
/// that merges both by seq misses nothing.
/// </summary>
public sealed class SyncService(IRoomStore rooms, Fanout.IFanout fanout, MessageStates states, LimeMetrics metrics, IOptions<LimeOptions> options)
{
    public async Task<SyncResponse> SyncAsync(long userId, SyncCursor?[]? cursors, int? limitPerRoom, CancellationToken ct = default)
    {
        long started = Stopwatch.GetTimestamp();
        var response = await SyncCoreAsync(userId, cursors, limitPerRoom, ct);
        metrics.Synced(started);
        return response;
    }

    private async Task<SyncResponse> SyncCoreAsync(long userId, SyncCursor?[]? cursors, int? limitPerRoom, CancellationToken ct)
    {
        var roomOptions = options.Value.Rooms;
        // Like every paged read, at most Limits:MaxPageSize events per room.
        int maxLimit = options.Value.Limits.MaxPageSize;
        int limit = limitPerRoom ?? Math.Min(roomOptions.SyncLimitPerRoom, maxLimit);
        if (limit < 1 || limit > maxLimit)
        {
            throw LimeException.Validation($"limit_per_room must be 1-{maxLimit}.");
        }

        var known = new Dictionary<long, long>();
        foreach (var cursor in cursors ?? [])
        {
            if (cursor is null || cursor.Seq < 0 || cursor.Room <= 0)
            {
                throw LimeException.Validation("Each cursor must be an object with a room id and a seq ≥ 0.");
            }

            known[cursor.Room] = cursor.Seq;
        }

        await fanout.SubscriptionsReadyAsync(ct);
        var memberships = await rooms.ListRoomsOfUserAsync(userId, null, int.MaxValue, ct);
        var ranges = new List<EventRange>(memberships.Count);
        var plan = new (bool Snapshot, int Range)[memberships.Count];
        for (int i = 0; i < memberships.Count; i++)
        {
            var room = memberships[i].Room;
            if (known.TryGetValue(room.Id, out long seq) && room.LastSeq - seq <= limit)
            {
                plan[i] = (false, room.LastSeq > seq ? ranges.Count : -1);
                if (room.LastSeq > seq)
                {
                    ranges.Add(new EventRange(room.Id, seq, long.MaxValue, limit, NewestFirst: false));
                }
            }
            else
            {
                plan[i] = (true, ranges.Count);
                ranges.Add(new EventRange(room.Id, 0, long.MaxValue, limit, NewestFirst: true));
            }
        }

        // At most MaxReplyBytes of events over all rooms. The store read gives each room a fair share of the text
        // budget (so one busy room cannot starve the rest) and stops once the whole budget is read; the exact cut then
        // goes room by room in list order (most recently active first), on the events as sent (with their state). A
        // room with a cursor keeps the oldest events after it (has_more: continue with history), a snapshot its newest
        // (older ones are history anyway).
        var cap = new ReplyCap(options.Value.Limits.MaxReplyBytes);
        long share = Math.Max(1, cap.TextChars / Math.Max(1, ranges.Count));
        for (int i = 0; i < ranges.Count; i++)
        {
            ranges[i] = ranges[i] with { MaxTextChars = share };
        }

        var pages = await rooms.GetEventsBatchAsync(ranges, cap.TextChars, ct);
        var small = memberships.Where(m => m.Room.MemberCount <= roomOptions.LargeRoomMembers).Select(m => m.Room.Id).ToArray();
        var reads = (await rooms.GetReadsAsync(small, ct)).ToLookup(r => r.Room, r => r.Read);
        var hidden = await states.HiddenAsync(userId, [.. memberships.Select(m => m.Room.Id)], ct);

        var result = new SyncRoom[memberships.Count];
        long total = 0;
        long used = 0;
        for (int i = 0; i < memberships.Count; i++)
        {
            var m = memberships[i];
            var (snapshot, range) = plan[i];
            var roomHidden = hidden.GetValueOrDefault(m.Room.Id);
            // Messages carry their state as of room.last_seq (read before the events): operations after it apply on top.
            EventDto[] events = range < 0 ? [] : await states.ApplyAsync(m.Room.Id, m.Room.MemberCount, pages[range], roomHidden, ct);
            int keep = cap.Fit(events, fromEnd: snapshot, ref used);
            if (keep < events.Length)
            {
                events = snapshot ? events[^keep..] : events[..keep];
            }

            // Through which seq this reply brings a room with a cursor; anything after that is history to fetch.
            long through = events.Length > 0 ? events[^1].Seq : known.GetValueOrDefault(m.Room.Id);
            bool hasMore = !snapshot && through < m.Room.LastSeq;
            MemberRead[]? roomReads = m.Room.MemberCount <= roomOptions.LargeRoomMembers ? [.. reads[m.Room.Id]] : null;
            long[]? hiddenSeqs = roomHidden is null ? null : [.. roomHidden.Order()];
            result[i] = new SyncRoom(ChatService.ToDto(m.Room, m.Member.Role, userId), events, snapshot, hasMore, m.Member.ReadSeq, m.UnreadCount, roomReads, hiddenSeqs,
                m.Room.RetainedFrom > 1 ? m.Room.RetainedFrom : null);
            total += m.UnreadCount;
        }

        var memberOf = memberships.Select(m => m.Room.Id).ToHashSet();
        long[] left = [.. known.Keys.Where(r => !memberOf.Contains(r))];
        return new SyncResponse(result, left, total, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }
}
