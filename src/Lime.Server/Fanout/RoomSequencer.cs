using Lime.Protocol;

namespace Lime.Server.Fanout;

/// <summary>
/// Puts each room's events back into seq order before they reach this node's connections. With several nodes a
/// room's events come from several writers (this node's commits directly, other nodes' through Redis), and the
/// publishes of two commits can cross on the way: seq 11 from one node can arrive before seq 10 from another. The
/// protocol promises that on one connection a room's events arrive in increasing seq order, so an event that arrives
/// ahead of a missing seq is held until the missing one arrives, or — if it never comes (Redis dropped it, or its
/// commit was never confirmed) — until it has waited <see cref="HoldTicks"/>; then the held events go out in order
/// and clients fill the gap from the store, as for any gap. An event older than what was already passed on is a
/// duplicate or too late: it is handed back separately, for the caller to decide (the fanout delivers it anyway:
/// late and out of order beats lost for a client that does not fill gaps).
/// Not thread-safe: used by the single fanout dispatcher loop.
/// </summary>
internal sealed class RoomSequencer(long holdTicks, long forgetTicks)
{
    private readonly Dictionary<long, RoomOrder> _rooms = [];
    private readonly HashSet<long> _holding = [];
    private readonly List<long> _scratch = [];
    private long _lastPrune;

    /// <summary>How long an event may wait for an earlier missing seq (Stopwatch ticks).</summary>
    public long HoldTicks { get; } = holdTicks;

    /// <summary>How many rooms hold events, waiting for a gap to fill.</summary>
    public int RoomsHolding => _holding.Count;

    /// <summary>
    /// Adds an arrived event; appends to <paramref name="ready"/> what can be delivered now, in order, and to
    /// <paramref name="late"/> an event older than what was already passed on.
    /// </summary>
    public void Accept(EventDto e, long now, List<EventDto> ready, List<EventDto>? late = null)
    {
        if (!_rooms.TryGetValue(e.Room, out var room))
        {
            _rooms[e.Room] = room = new RoomOrder();
        }

        room.TouchedAt = now;
        if (room.Next == 0 || e.Seq == room.Next)
        {
            ready.Add(e);
            room.Next = e.Seq + 1;
            Release(e.Room, room, ready);
        }
        else if (e.Seq > room.Next)
        {
            room.Held ??= [];
            if (room.Held.Count == 0)
            {
                room.HeldSince = now;
                _holding.Add(e.Room);
            }

            room.Held.TryAdd(e.Seq, e);
        }

        else
        {
            late?.Add(e); // already passed on (a duplicate), or given up on: the caller decides
        }
    }

    /// <summary>Delivers, in order, what has waited too long for a gap to fill; forgets idle rooms now and then.</summary>
    public void Expire(long now, List<EventDto> ready)
    {
        if (_holding.Count > 0)
        {
            _scratch.Clear();
            _scratch.AddRange(_holding);
            foreach (long id in _scratch)
            {
                var room = _rooms[id];
                if (now - room.HeldSince >= HoldTicks)
                {
                    room.Next = room.Held!.Keys[0]; // give up on the gap
                    Release(id, room, ready);
                    if (room.Held.Count > 0)
                    {
                        room.HeldSince = now; // a second gap further on: wait for it afresh
                    }
                }
            }
        }

        if (now - _lastPrune >= forgetTicks)
        {
            _lastPrune = now;
            foreach (long id in _rooms.Where(p => p.Value.Held is not { Count: > 0 } && now - p.Value.TouchedAt >= forgetTicks).Select(p => p.Key).ToList())
            {
                _rooms.Remove(id); // its next event is passed on as it comes, as for a room never seen
            }
        }
    }

    /// <summary>Passes on the held events that now follow without a gap.</summary>
    private void Release(long id, RoomOrder room, List<EventDto> ready)
    {
        if (room.Held is not { Count: > 0 } held)
        {
            return;
        }

        while (held.Count > 0 && held.Keys[0] <= room.Next)
        {
            long seq = held.Keys[0];
            if (seq == room.Next)
            {
                ready.Add(held.Values[0]);
                room.Next++;
            }

            held.RemoveAt(0);
        }

        if (held.Count == 0)
        {
            _holding.Remove(id);
        }
    }

    private sealed class RoomOrder
    {
        /// <summary>The seq expected next; 0 before the first event.</summary>
        public long Next { get; set; }

        public SortedList<long, EventDto>? Held { get; set; }

        public long HeldSince { get; set; }

        public long TouchedAt { get; set; }
    }
}
