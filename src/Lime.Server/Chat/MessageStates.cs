using Lime.Protocol;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// Gives the <c>message</c> events of a read (history, sync) their state as of that read: the text, edited_at and
/// tombstone come with the event row; this adds the reactions (who reacted in small rooms, counts in large ones)
/// and the viewer's own hidden flag.
/// </summary>
public sealed class MessageStates(IRoomStore rooms, IOptions<LimeOptions> options)
{
    private readonly int _largeRoom = options.Value.Rooms.LargeRoomMembers;

    public async Task<EventDto[]> ApplyAsync(long roomId, long memberCount, IReadOnlyList<EventDto> events, IReadOnlySet<long>? hidden, CancellationToken ct)
    {
        long from = long.MaxValue, to = 0;
        foreach (var e in events)
        {
            if (e.Kind == EventKinds.Message && e.Deleted != true)
            {
                from = Math.Min(from, e.Seq);
                to = Math.Max(to, e.Seq);
            }
        }

        ILookup<long, ReactionRow>? reactions = null;
        if (to > 0)
        {
            reactions = (await rooms.GetReactionsAsync(roomId, from, to, memberCount <= _largeRoom, ct)).ToLookup(r => r.Target);
        }

        var result = new EventDto[events.Count];
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Kind != EventKinds.Message)
            {
                result[i] = e;
                continue;
            }

            ReactionDto[]? summary = null;
            if (reactions is not null && reactions.Contains(e.Seq))
            {
                summary = [.. reactions[e.Seq].Select(r => new ReactionDto(r.Emoji, (int)r.Count, r.Users))];
            }

            bool isHidden = hidden?.Contains(e.Seq) == true;
            result[i] = summary is null && !isHidden ? e : e with { Reactions = summary, Hidden = isHidden ? true : null };
        }

        return result;
    }

    /// <summary>The viewer's hidden messages in each of the rooms.</summary>
    public async Task<Dictionary<long, HashSet<long>>> HiddenAsync(long viewer, IReadOnlyCollection<long> roomIds, CancellationToken ct)
    {
        var byRoom = new Dictionary<long, HashSet<long>>();
        foreach (var (room, seq) in await rooms.GetHiddenAsync(viewer, roomIds, ct))
        {
            if (!byRoom.TryGetValue(room, out var set))
            {
                byRoom[room] = set = [];
            }

            set.Add(seq);
        }

        return byRoom;
    }
}
