using System.Diagnostics;
using Lime.Client;
using Lime.Protocol;

namespace Lime.Bench;

/// <summary>
/// One user of a room load: its socket and, per room it is in, the copies received per seq (own messages
/// included: every member's devices get every event). The SDK's receive loop feeds <see cref="LimeSocket.Events"/>;
/// <see cref="ReceiveAsync"/> is its one consumer. The room table is built before the load starts and only read
/// afterwards; the per-room counters are guarded by one lock, shared with the final check.
/// </summary>
internal sealed class LoadMember
{
    private readonly Dictionary<long, Track> _tracks = [];
    private readonly Lock _gate = new();
    private readonly long[] _receivedByKind = new long[Enum.GetValues<RoomKind>().Length];

    public LoadMember(int index, BenchUser user, LimeSocket socket, IEnumerable<LoadRoom> rooms)
    {
        Index = index;
        User = user;
        Socket = socket;
        foreach (var room in rooms)
        {
            _tracks[room.Id] = new Track(room);
        }
    }

    public int Index { get; }
    public BenchUser User { get; }
    public LimeSocket Socket { get; }
    public bool Alive => !Socket.Completion.IsCompleted;

    /// <summary>Copies of the message with this seq received in this room so far.</summary>
    public int DeliveryCount(long room, long seq)
    {
        if (!_tracks.TryGetValue(room, out var t))
        {
            return 0;
        }

        lock (_gate)
        {
            long i = seq - t.Room.BaseSeq;
            return i >= 0 && i < t.Copies.Length ? t.Copies[i] : 0;
        }
    }

    /// <summary>Consumes the socket's events until the connection ends, handing each message to <paramref name="load"/>.</summary>
    public async Task ReceiveAsync(RoomLoad load)
    {
        var reader = Socket.Events;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var e))
                {
                    OnEvent(e, load);
                }
            }
        }
        catch (LimeSocketException)
        {
            // The client gave the connection up (e.g. a bad frame); the caller reports the ended socket.
        }
    }

    /// <summary>Reads and drops ephemeral frames (read receipts, typing, presence), counting them, so their queue stays short.</summary>
    public async Task DrainSignalsAsync(RoomLoad load)
    {
        var reader = Socket.Signals;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out _))
            {
                load.OnSignal();
            }
        }
    }

    private void OnEvent(EventDto e, RoomLoad load)
    {
        if (e.Kind != EventKinds.Message || !_tracks.TryGetValue(e.Room, out var t) || !MessageText.TryParse(e.Text, out long scheduled))
        {
            return;
        }

        long now = Stopwatch.GetTimestamp();
        bool own = e.Sender == User.Id;
        bool duplicate, outOfOrder, readDue = false;
        lock (_gate)
        {
            long i = e.Seq - t.Room.BaseSeq;
            if (i < 0)
            {
                return; // older than the load: not ours
            }

            if (i >= t.Copies.Length)
            {
                Array.Resize(ref t.Copies, (int)Math.Max(i + 1, 2L * t.Copies.Length));
            }

            byte copies = t.Copies[i];
            duplicate = copies > 0;
            outOfOrder = !duplicate && e.Seq < t.LastSeq;
            if (copies < byte.MaxValue)
            {
                t.Copies[i] = (byte)(copies + 1);
            }

            t.LastSeq = Math.Max(t.LastSeq, e.Seq);
            if (!own && !duplicate)
            {
                // Every N-th message this member receives in rooms of this kind marks its room read.
                long received = ++_receivedByKind[(int)t.Room.Kind];
                int every = load.ReadEvery(t.Room.Kind);
                readDue = every > 0 && received % every == 0;
            }
        }

        load.OnDelivered(t.Room, scheduled, now, own, duplicate, outOfOrder);
        if (readDue)
        {
            load.MarkRead(this, t.Room, e.Seq);
        }
    }

    private sealed class Track(LoadRoom room)
    {
        public LoadRoom Room { get; } = room;
        public byte[] Copies = new byte[64]; // copies received per (seq - base), saturating at 255
        public long LastSeq;
    }
}
