using Lime.Protocol;
using Lime.Server.Fanout;

namespace Lime.Tests;

/// <summary>
/// The per-room reordering in front of local delivery: with several nodes, a room's events reach a node from its
/// own writer and from other nodes through Redis, and can cross; connections must still see each room in seq order.
/// </summary>
public sealed class RoomSequencerTests
{
    private const long Hold = 100;
    private readonly RoomSequencer _order = new(Hold, forgetTicks: 10_000);
    private readonly List<EventDto> _ready = [];

    [Fact]
    public void Events_that_arrive_ahead_of_a_missing_seq_wait_for_it_and_then_go_out_in_order()
    {
        Accept(1, 10, at: 0);
        Accept(1, 12, at: 1);
        Accept(1, 13, at: 2);
        Assert.Equal([10], Seqs());
        Assert.Equal(1, _order.RoomsHolding);

        Accept(1, 11, at: 3);
        Assert.Equal([10, 11, 12, 13], Seqs());
        Assert.Equal(0, _order.RoomsHolding);
    }

    [Fact]
    public void Rooms_are_ordered_independently()
    {
        Accept(1, 5, at: 0);
        Accept(2, 7, at: 0);
        Accept(1, 7, at: 1); // room 1 waits for 6
        Accept(2, 8, at: 1); // room 2 is not held up by room 1
        Assert.Equal([(1L, 5L), (2L, 7L), (2L, 8L)], _ready.Select(e => (e.Room, e.Seq)));
        Accept(1, 6, at: 2);
        Assert.Equal([(1L, 6L), (1L, 7L)], _ready.Skip(3).Select(e => (e.Room, e.Seq)));
    }

    [Fact]
    public void A_gap_that_never_fills_holds_events_only_until_the_hold_time_then_they_go_out_in_order()
    {
        Accept(1, 1, at: 0);
        Accept(1, 4, at: 10);
        Accept(1, 3, at: 20);
        _order.Expire(10 + Hold - 1, _ready);
        Assert.Equal([1], Seqs());

        _order.Expire(10 + Hold, _ready);
        Assert.Equal([1, 3, 4], Seqs()); // seq 2 is left to the client's gap fill from the store
        Assert.Equal(0, _order.RoomsHolding);

        Accept(1, 2, at: 200); // too late: the connection already moved past it
        Accept(1, 5, at: 201);
        Assert.Equal([1, 3, 4, 5], Seqs());
    }

    [Fact]
    public void A_second_gap_behind_the_first_gets_its_own_hold_time()
    {
        Accept(1, 1, at: 0);
        Accept(1, 3, at: 0);
        Accept(1, 5, at: 50);
        _order.Expire(Hold, _ready); // gives up on 2, releases 3, then waits for 4 afresh
        Assert.Equal([1, 3], Seqs());
        Accept(1, 4, at: Hold + 10);
        Assert.Equal([1, 3, 4, 5], Seqs());
    }

    [Fact]
    public void Duplicates_are_dropped_whether_already_delivered_or_still_held()
    {
        Accept(1, 1, at: 0);
        Accept(1, 1, at: 1);
        Accept(1, 3, at: 2);
        Accept(1, 3, at: 3);
        Accept(1, 2, at: 4);
        Assert.Equal([1, 2, 3], Seqs());
    }

    [Fact]
    public void An_event_older_than_what_was_passed_on_is_handed_back_as_late_not_delivered()
    {
        var late = new List<EventDto>();
        _order.Accept(Event(1, 1), 0, _ready, late);
        _order.Accept(Event(1, 3), 1, _ready, late);
        _order.Expire(1 + Hold, _ready); // gives up on 2
        _order.Accept(Event(1, 2), 200, _ready, late);
        _order.Accept(Event(1, 3), 201, _ready, late);
        Assert.Equal([1, 3], Seqs());
        Assert.Equal([2L, 3L], late.Select(e => e.Seq));
    }

    [Fact]
    public void An_idle_room_is_forgotten_and_its_next_event_passes_straight_through()
    {
        var order = new RoomSequencer(Hold, forgetTicks: 1_000);
        order.Accept(Event(1, 10), 0, _ready);
        order.Expire(5_000, _ready);
        order.Accept(Event(1, 40), 5_001, _ready); // a node that lost interest and got it back sees a later seq first
        Assert.Equal([10, 40], Seqs());
        Assert.Equal(0, order.RoomsHolding);
    }

    private void Accept(long room, long seq, long at) => _order.Accept(Event(room, seq), at, _ready);

    private long[] Seqs() => [.. _ready.Select(e => e.Seq)];

    private static EventDto Event(long room, long seq) =>
        new(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), room, seq, EventKinds.Message, 1, 0, "t");
}
