using System.Diagnostics;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Storage;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;

namespace Lime.Server.Cluster;

/// <summary>
/// <see cref="IRoomWriter"/> with room ownership (PostgreSQL, <see cref="ClusterOptions.Ownership"/> on). A new room
/// (<see cref="RoomWrite.RoomKey"/> 0) and rooms of partitions this node holds go to its own group-commit writer, as
/// without ownership. Other rooms' writes are forwarded to the owner over the internal channel and answered with the
/// owner's result (after its commit, confirmed by every synchronous standby) or its refusal, rethrown unchanged.
/// <para>
/// Per room, one forward is in flight from this node at a time and writes that arrive meanwhile wait and go together
/// in the next one (a lane): the owner queues a forward's writes in order, so one connection's writes to a room keep
/// their order. A refusal that certainly applied nothing (the node is not the owner any more, the connection could not
/// be made) is retried against the owner read again from the owner table, with backoff, until
/// <see cref="ClusterOptions.ForwardTimeoutMs"/>; no answer in that time is <c>unavailable</c> (outcome unknown: the
/// client's retry with the same client_msg_id settles it), never a guess. At most
/// <see cref="ClusterOptions.MaxForwardsInFlight"/> writes wait on forwards at once; more are refused
/// <c>overloaded</c> with nothing sent.
/// </para>
/// </summary>
public sealed class OwnedRoomWriter : IRoomWriter, IDisposable
{
    private const int MaxBatch = 256;

    private readonly RoomWriter _local;
    private readonly PartitionLeases _leases;
    private readonly ForwardClient _client;
    private readonly TimeSpan _timeout;
    private readonly int _node;
    private readonly SemaphoreSlim _slots;
    private readonly Dictionary<long, Lane> _lanes = [];
    private volatile int _laneCount; // read without the lock: 0 (the usual case) means no room has a lane
    private long _forwarded;

    public OwnedRoomWriter(RoomWriter local, PartitionLeases leases, ForwardClient client, IOptions<LimeOptions> options)
    {
        _local = local;
        _leases = leases;
        _client = client;
        _node = options.Value.NodeId;
        _timeout = TimeSpan.FromMilliseconds(options.Value.Cluster.ForwardTimeoutMs);
        _slots = new SemaphoreSlim(options.Value.Cluster.MaxForwardsInFlight, options.Value.Cluster.MaxForwardsInFlight);
    }

    /// <summary>Writes this node has forwarded to other nodes (and that were answered).</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    public Task<RoomWriteResult> WriteAsync(RoomWrite write, CancellationToken ct = default)
    {
        long room = write.RoomKey;
        if (room <= 0)
        {
            return _local.WriteAsync(write, ct);
        }

        if (_leases.TryBegin(room, 1))
        {
            bool laneBusy = false;
            if (_laneCount > 0)
            {
                lock (_lanes)
                {
                    laneBusy = _lanes.ContainsKey(room);
                }
            }

            if (!laneBusy)
            {
                return LocalAsync(write, room, ct);
            }

            _leases.Finish(room, 1); // earlier writes of this room are still on their way: keep behind them
        }

        return EnqueueForward(write, room);
    }

    private async Task<RoomWriteResult> LocalAsync(RoomWrite write, long room, CancellationToken ct)
    {
        try
        {
            return await _local.WriteAsync(write, ct); // queued synchronously, before this method first yields
        }
        finally
        {
            _leases.Finish(room, 1);
        }
    }

    private Task<RoomWriteResult> EnqueueForward(RoomWrite write, long room)
    {
        if (!_slots.Wait(0))
        {
            return Task.FromException<RoomWriteResult>(new LimeException(ErrorCodes.Overloaded,
                "This node has too many writes in flight to other nodes; nothing was sent. Retry shortly with the same client_msg_id."));
        }

        var item = new Item(write);
        bool start;
        Lane lane;
        lock (_lanes)
        {
            if (!_lanes.TryGetValue(room, out lane!))
            {
                lane = new Lane();
                _lanes[room] = lane;
                _laneCount = _lanes.Count;
            }

            lane.Waiting.Add(item);
            start = !lane.Busy;
            lane.Busy = true;
        }

        if (start)
        {
            _ = Task.Run(() => RunLaneAsync(room, lane));
        }

        return item.Completion.Task;
    }

    private async Task RunLaneAsync(long room, Lane lane)
    {
        while (true)
        {
            Item[] batch;
            lock (_lanes)
            {
                if (lane.Waiting.Count == 0)
                {
                    lane.Busy = false;
                    _lanes.Remove(room);
                    _laneCount = _lanes.Count;
                    return;
                }

                int n = Math.Min(MaxBatch, lane.Waiting.Count);
                batch = [.. lane.Waiting.GetRange(0, n)];
                lane.Waiting.RemoveRange(0, n);
            }

            try
            {
                await DeliverAsync(room, batch);
            }
            catch (Exception e)
            {
                var error = e as LimeException ?? new LimeException(ErrorCodes.Unavailable, "Forwarding the write failed; its outcome is unknown. Retry with the same client_msg_id.");
                foreach (var item in batch)
                {
                    item.Completion.TrySetException(error);
                }
            }
            finally
            {
                _slots.Release(batch.Length);
            }
        }
    }

    /// <summary>Applies a batch of one room's writes here (if this node owns the room now) or at its owner.</summary>
    private async Task DeliverAsync(long room, Item[] batch)
    {
        var started = Stopwatch.StartNew();
        bool refresh = false;
        for (int attempt = 0; ; attempt++)
        {
            if (_leases.TryBegin(room, batch.Length))
            {
                await ApplyLocallyAsync(room, batch);
                return;
            }

            PartitionOwner? owner = await _leases.OwnerAsync(room, refresh, CancellationToken.None);
            if (owner is not null && owner.NodeId != _node)
            {
                try
                {
                    var outcomes = await _client.SendAsync(owner.InternalUrl, new ForwardBatch(room, [.. batch.Select(i => i.Write)]));
                    Interlocked.Add(ref _forwarded, batch.Length);
                    for (int i = 0; i < batch.Length; i++)
                    {
                        var outcome = i < outcomes.Length ? outcomes[i] : null;
                        if (outcome?.Result is { } result)
                        {
                            batch[i].Completion.TrySetResult(result);
                        }
                        else
                        {
                            batch[i].Completion.TrySetException(outcome?.Error?.ToException()
                                ?? new LimeException(ErrorCodes.Unavailable, "The room's owner gave no outcome for the write; retry with the same client_msg_id."));
                        }
                    }

                    return;
                }
                catch (ForwardNotAppliedException)
                {
                    // Not the owner any more, or unreachable: nothing was applied; find the owner again.
                }
            }

            // No owner known yet (the partition is between owners), a stale entry naming this node, or a refusal above.
            if (started.Elapsed >= _timeout)
            {
                throw new LimeException(ErrorCodes.Unavailable,
                    "No node took the room's writes in time (ownership is moving); nothing was stored. Retry with the same client_msg_id.");
            }

            refresh = true;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250, 10 << Math.Min(attempt, 5))));
        }
    }

    private async Task ApplyLocallyAsync(long room, Item[] batch)
    {
        try
        {
            var tasks = new Task<RoomWriteResult>[batch.Length];
            for (int i = 0; i < batch.Length; i++)
            {
                tasks[i] = _local.WriteAsync(batch[i].Write, CancellationToken.None); // in order
            }

            for (int i = 0; i < batch.Length; i++)
            {
                try
                {
                    batch[i].Completion.TrySetResult(await tasks[i]);
                }
                catch (Exception e)
                {
                    batch[i].Completion.TrySetException(e);
                }
            }
        }
        finally
        {
            _leases.Finish(room, batch.Length);
        }
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Lane
    {
        public List<Item> Waiting { get; } = [];

        public bool Busy { get; set; }
    }

    private sealed class Item(RoomWrite write)
    {
        public RoomWrite Write { get; } = write;

        public TaskCompletionSource<RoomWriteResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
