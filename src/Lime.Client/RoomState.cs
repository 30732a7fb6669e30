using Lime.Protocol;

namespace Lime.Client;

/// <summary>
/// The state of one room as a client folds it from events (docs/protocol.md §5, "Message state"): each message's
/// current text, edited_at, tombstone, reactions and this user's hidden flag, and the room's pinned messages.
/// Messages read from history or sync come with their state as of the read (<c>as_of</c>); an operation changes a
/// message only when its seq is above the point that message's state is known to, so replaying events already
/// reflected (or delivered twice) changes nothing. Reactions fold per user, so it needs the <c>users</c> of small rooms
/// (large rooms get counts only). Not thread-safe.
/// </summary>
public sealed class RoomState
{
    private readonly Dictionary<long, Entry> _messages = [];
    private readonly HashSet<long> _hidden = [];
    private List<long> _pinned = [];
    private long _pinsAsOf;

    /// <summary>The room's messages by seq.</summary>
    public IReadOnlyDictionary<long, MessageState> Messages => _messages.ToDictionary(p => p.Key, p => p.Value.Snapshot(_hidden.Contains(p.Key)));

    /// <summary>Pinned message seqs, newest pin first.</summary>
    public IReadOnlyList<long> Pinned => _pinned;

    /// <summary>Takes the room's pins as of <see cref="RoomDto.LastSeq"/> (from a room read or a sync).</summary>
    public void LoadRoom(RoomDto room)
    {
        if (room.LastSeq >= _pinsAsOf)
        {
            _pinned = [.. room.Pinned ?? []];
            _pinsAsOf = room.LastSeq;
        }
    }

    /// <summary>Events of a history page or a sync room: messages carry their state as of <paramref name="asOf"/>.</summary>
    public void Load(IEnumerable<EventDto> events, long asOf)
    {
        foreach (var e in events.OrderBy(e => e.Seq))
        {
            if (e.Kind == EventKinds.Message)
            {
                _messages[e.Seq] = Entry.From(e, asOf);
                if (e.Hidden == true)
                {
                    _hidden.Add(e.Seq);
                }
            }
            else
            {
                Apply(e);
            }
        }
    }

    /// <summary>This user's hidden messages (<see cref="SyncRoom.Hidden"/>, or a <see cref="HiddenFrame"/>).</summary>
    public void Hide(IEnumerable<long> seqs) => _hidden.UnionWith(seqs);

    /// <summary>Applies one event (live, or after a read) in seq order.</summary>
    public void Apply(EventDto e)
    {
        switch (e.Kind)
        {
            case EventKinds.Message:
                _messages.TryAdd(e.Seq, Entry.From(e, e.Seq));
                return;
            case EventKinds.MessagePinned or EventKinds.MessageUnpinned:
                if (e.Seq > _pinsAsOf && e.Target is { } pin)
                {
                    _pinned.Remove(pin);
                    if (e.Kind == EventKinds.MessagePinned)
                    {
                        _pinned.Insert(0, pin);
                    }

                    _pinsAsOf = e.Seq;
                }

                return;
        }

        if (e.Target is not { } target)
        {
            return;
        }

        if (e.Kind == EventKinds.MessageDeleted && e.Seq > _pinsAsOf)
        {
            _pinned.Remove(target);
        }

        if (!_messages.TryGetValue(target, out var m) || e.Seq <= m.AsOf)
        {
            return;
        }

        m.AsOf = e.Seq;
        if (m.Deleted)
        {
            return; // nothing changes a tombstone
        }

        switch (e.Kind)
        {
            case EventKinds.MessageEdited:
                if (e.Text is not null)
                {
                    m.Text = e.Text; // superseded edits come without text
                }

                m.EditedAt = Math.Max(m.EditedAt ?? 0, e.Ts);
                break;
            case EventKinds.MessageDeleted:
                m.Deleted = true;
                m.Text = null;
                m.Reactions.Clear();
                break;
            case EventKinds.ReactionAdded when e.Emoji is not null:
                int at = m.Reactions.FindIndex(r => r.Emoji == e.Emoji);
                if (at < 0)
                {
                    m.Reactions.Add((e.Emoji, [e.Sender]));
                }
                else if (!m.Reactions[at].Users.Contains(e.Sender))
                {
                    m.Reactions[at].Users.Add(e.Sender);
                }

                break;
            case EventKinds.ReactionRemoved when e.Emoji is not null:
                int i = m.Reactions.FindIndex(r => r.Emoji == e.Emoji);
                if (i >= 0)
                {
                    m.Reactions[i].Users.Remove(e.Sender);
                    if (m.Reactions[i].Users.Count == 0)
                    {
                        m.Reactions.RemoveAt(i);
                    }
                }

                break;
        }
    }

    private sealed class Entry
    {
        public long Seq { get; init; }
        public long Sender { get; init; }
        public long AsOf { get; set; }
        public string? Text { get; set; }
        public long? EditedAt { get; set; }
        public bool Deleted { get; set; }
        public List<(string Emoji, List<long> Users)> Reactions { get; } = [];

        public static Entry From(EventDto e, long asOf)
        {
            var entry = new Entry { Seq = e.Seq, Sender = e.Sender, AsOf = Math.Max(asOf, e.Seq), Text = e.Text, EditedAt = e.EditedAt, Deleted = e.Deleted == true };
            foreach (var r in e.Reactions ?? [])
            {
                entry.Reactions.Add((r.Emoji, [.. r.Users ?? []]));
            }

            return entry;
        }

        public MessageState Snapshot(bool hidden) => new(Seq, Sender, Text, EditedAt, Deleted, hidden,
            [.. Reactions.Select(r => new ReactionDto(r.Emoji, r.Users.Count, [.. r.Users]))]);
    }
}

/// <summary>A message as a client shows it: current text (null once deleted), when last edited, reactions, hidden for this user.</summary>
public sealed record MessageState(long Seq, long Sender, string? Text, long? EditedAt, bool Deleted, bool Hidden, IReadOnlyList<ReactionDto> Reactions);
