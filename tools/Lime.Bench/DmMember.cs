using System.Diagnostics;
using System.Globalization;
using Lime.Client;
using Lime.Protocol;

namespace Lime.Bench;

/// <summary>
/// One user of the dm scenario: its socket, its direct room, its open-loop send schedule (owned by one scheduler
/// thread) and what it has received from its peer. The SDK's receive loop feeds <see cref="LimeSocket.Events"/>;
/// <see cref="ReceiveAsync"/> is the one consumer, so delivery bookkeeping is single-threaded except for the
/// final read, which takes the same lock.
/// </summary>
internal sealed class DmMember(int index, BenchUser user, long room, LimeSocket socket)
{
    private readonly Lock _gate = new();
    private byte[] _deliveries = new byte[256]; // copies received per seq from the peer, saturating at 255
    private long _lastPeerSeq;
    private long _nextMessage;
    private long _scheduleBase;
    private double _intervalTicks;
    private long _k;

    public int Index { get; } = index;
    public BenchUser User { get; } = user;
    public long Room { get; } = room;
    public LimeSocket Socket { get; } = socket;
    public DmMember Peer { get; set; } = null!;
    public bool Alive => !Socket.Completion.IsCompleted;

    /// <summary>The scheduled time (Stopwatch timestamp) of the next send.</summary>
    public long NextDue { get; private set; }

    /// <summary>Sends at first, first + interval, first + 2·interval, …: computed from k, so rounding never drifts.</summary>
    public void StartSchedule(long first, double intervalTicks)
    {
        _scheduleBase = first;
        _intervalTicks = intervalTicks;
        _k = 0;
        NextDue = first;
    }

    public void Advance()
    {
        _k++;
        NextDue = _scheduleBase + (long)(_k * _intervalTicks);
    }

    /// <summary>Unique per (room, sender) for the whole run, increasing in send order.</summary>
    public string NextClientMsgId() => (++_nextMessage).ToString(CultureInfo.InvariantCulture);

    /// <summary>Copies of the peer's message with this seq received so far.</summary>
    public int DeliveryCount(long seq)
    {
        lock (_gate)
        {
            return seq >= 0 && seq < _deliveries.Length ? _deliveries[seq] : 0;
        }
    }

    /// <summary>Consumes the socket's events until the connection ends.</summary>
    public async Task ReceiveAsync(Func<DmStep?> currentStep)
    {
        var reader = Socket.Events;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var e))
                {
                    OnEvent(e, currentStep());
                }
            }
        }
        catch (LimeSocketException)
        {
            // The client gave the connection up (e.g. a bad frame); the caller reports the ended socket.
        }
    }

    private void OnEvent(EventDto e, DmStep? step)
    {
        // Our own messages come back too (every member's devices get every event); only the peer's count.
        if (e.Sender == User.Id || e.Kind != EventKinds.Message || !MessageText.TryParse(e.Text, out long scheduled))
        {
            return;
        }

        long now = Stopwatch.GetTimestamp();
        bool duplicate, outOfOrder;
        lock (_gate)
        {
            long seq = e.Seq;
            if (seq >= _deliveries.Length)
            {
                Array.Resize(ref _deliveries, (int)Math.Max(seq + 1, 2L * _deliveries.Length));
            }

            byte copies = _deliveries[seq];
            duplicate = copies > 0;
            outOfOrder = !duplicate && seq < _lastPeerSeq;
            if (copies < byte.MaxValue)
            {
                _deliveries[seq] = (byte)(copies + 1);
            }

            _lastPeerSeq = Math.Max(_lastPeerSeq, seq);
        }

        if (step is not null && step.IsMeasured(scheduled))
        {
            step.OnDelivered(now - scheduled, duplicate, outOfOrder);
        }
    }
}
