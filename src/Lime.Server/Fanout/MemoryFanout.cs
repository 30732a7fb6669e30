using System.Diagnostics;
using System.Threading.Channels;
using Lime.Protocol;
using Lime.Server.Diagnostics;
using Lime.Server.Realtime;

namespace Lime.Server.Fanout;

/// <summary>
/// In-process fanout for a single node: one dispatcher loop takes published batches in order and hands each event
/// to the local connection registry, each room's events in seq order (<see cref="RoomSequencer"/>: with Redis,
/// events of other nodes arrive here too). The writer never waits for delivery.
/// </summary>
public sealed class MemoryFanout(ConnectionRegistry connections, LimeMetrics metrics, ILogger<MemoryFanout> log) : IFanout, IHostedService, IDisposable
{
    /// <summary>How long an event waits for a missing earlier seq of its room before it is delivered anyway.</summary>
    public static readonly TimeSpan GapHold = TimeSpan.FromMilliseconds(100);

    private static readonly object Tick = new();

    // Holds IReadOnlyList<EventDto> (committed events, in commit order), Signal items and Ticks.
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });

    // Events from this node's writer come in seq order; with Redis, other nodes' events join them in any order.
    private readonly RoomSequencer _order = new(
        (long)(GapHold.TotalSeconds * Stopwatch.Frequency),
        forgetTicks: 60 * Stopwatch.Frequency);

    // Traced events waiting for delivery, by room and seq: their commit span and hand-over time (Diagnostics/LimeTracing.cs).
    private readonly Dictionary<(long Room, long Seq), (ActivityContext Commit, DateTimeOffset HandedOver)> _traced = [];

    private readonly CancellationTokenSource _stopping = new();
    private volatile int _roomsHolding;
    private long _queued; // items in _queue (a single-reader channel cannot count them)
    private Task? _loop;
    private Task? _ticker;

    public void Publish(IReadOnlyList<EventDto> events) => Queue(events);

    public void Signal(Signal signal) => Queue(signal);

    private void Queue(object item)
    {
        Interlocked.Increment(ref _queued); // before the write, so the reader's decrement never comes first
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        metrics.ObserveFanoutQueue(() => Volatile.Read(ref _queued));
        _loop = Task.Run(RunAsync, CancellationToken.None);
        _ticker = Task.Run(TickAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_ticker is not null)
        {
            await _ticker.WaitAsync(cancellationToken);
        }

        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Wakes the dispatcher while events wait for a gap (to release them in time) and now and then to prune.</summary>
    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        int idleTicks = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                if (_roomsHolding > 0 || ++idleTicks >= 500)
                {
                    idleTicks = 0;
                    _queue.Writer.TryWrite(Tick);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void RememberTraces(TracedEvents traced)
    {
        if (_traced.Count > 10_000)
        {
            _traced.Clear(); // events never delivered (a gap that timed out oddly): traces are best effort, memory is bounded
        }

        for (int i = 0; i < traced.Count; i++)
        {
            if (traced.CommitOf(i) is { } commit)
            {
                _traced[(traced[i].Room, traced[i].Seq)] = (commit, traced.HandedOver);
            }
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var ready = new List<EventDto>();
        var late = new List<EventDto>();
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var item))
            {
                if (!ReferenceEquals(item, Tick))
                {
                    Interlocked.Decrement(ref _queued);
                }

                if (item is Signal signal)
                {
                    connections.DeliverSignal(signal);
                    continue;
                }

                long now = Stopwatch.GetTimestamp();
                if (ReferenceEquals(item, Tick))
                {
                    _order.Expire(now, ready);
                }
                else
                {
                    var events = (IReadOnlyList<EventDto>)item;
                    if (events is TracedEvents traced)
                    {
                        RememberTraces(traced);
                    }

                    foreach (var e in events)
                    {
                        _order.Accept(e, now, ready, late);
                    }
                }

                // Too late for order (it lost a race by more than the hold time, e.g. on an overloaded box): still
                // delivered, out of order, rather than lost to a client that does not fill gaps (clients order by seq
                // and drop seqs they have). Duplicates never get here: Redis echoes are filtered before this loop.
                ready.AddRange(late);
                late.Clear();

                _roomsHolding = _order.RoomsHolding;
                foreach (var e in ready)
                {
                    try
                    {
                        int copies = connections.Deliver(e);
                        if (_traced.Count > 0 && _traced.Remove((e.Room, e.Seq), out var trace))
                        {
                            LimeTracing.RecordFanout(trace.Commit, trace.HandedOver, e.Room, e.Seq, copies);
                        }
                    }
                    catch (Exception ex)
                    {
                        Log.DeliveryFailed(log, e.Room, e.Seq, ex);
                    }
                }

                ready.Clear();
            }
        }
    }
}
