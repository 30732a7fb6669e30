using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Lime.Protocol;
using Lime.Server.Diagnostics;
using Lime.Server.Realtime;
using Lime.Server.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lime.Server.Fanout;

/// <summary>
/// Fanout across nodes through Redis pub/sub. Local deliveries never go through Redis (they use the in-process
/// dispatcher); every event is also published on its room's channel, and membership events on the channels of the
/// users they add or remove, so a node hosting those users subscribes to the room. A node subscribes to a room's
/// (or user's) channel only while it has a local subscriber (reference counted by the connection registry).
/// At most once: if Redis drops or misses messages, clients see a seq gap and fill it from the store.
/// Payload: 1 byte kind ('E' event, 'S' signal) + 4 bytes origin node id + the serialized frame.
/// </summary>
public sealed class RedisFanout : IFanout, IHostedService
{
    private const byte EventKind = (byte)'E';
    private const byte SignalKind = (byte)'S';
    private const int RecentCapacity = 100_000;

    private readonly MemoryFanout _local;
    private readonly ConnectionRegistry _registry;
    private readonly RedisConnection _redis;
    private readonly ILogger<RedisFanout> _log;
    private readonly int _node;
    private readonly Channel<Interest> _interest = Channel.CreateUnbounded<Interest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<RedisChannel, ChannelMessageQueue> _subscriptions = new();
    private readonly ConcurrentDictionary<(long Room, long Seq), byte> _recent = new();
    private readonly ConcurrentQueue<(long Room, long Seq)> _recentOrder = new();
    private TaskCompletionSource _idle = CompletedSource();
    private int _pendingInterest;
    private Task? _loop;

    public RedisFanout(MemoryFanout local, ConnectionRegistry registry, RedisConnection redis, IOptions<LimeOptions> options, ILogger<RedisFanout> log)
    {
        _local = local;
        _registry = registry;
        _redis = redis;
        _log = log;
        _node = options.Value.NodeId;
    }

    public void Publish(IReadOnlyList<EventDto> events)
    {
        _local.Publish(events);
        foreach (var e in events)
        {
            byte[] frame = JsonSerializer.SerializeToUtf8Bytes(new EventFrame(e), SocketJson.Context.EventFrame);
            byte[] payload = Pack(EventKind, frame);
            Send(RedisKeys.Room(e.Room), payload);
            if (e.Users is { } users && e.Kind is EventKinds.RoomCreated or EventKinds.MembersJoined or EventKinds.MembersAdded or EventKinds.MemberLeft or EventKinds.MemberRemoved
                or EventKinds.MemberBanned or EventKinds.RoomDeleted)
            {
                foreach (long user in users)
                {
                    Send(RedisKeys.User(user), payload);
                }
            }
        }
    }

    public void Signal(Signal signal)
    {
        _local.Signal(signal);
        byte[] payload = Pack(SignalKind, signal.Frame);
        if (signal.Room is { } room)
        {
            Send(RedisKeys.Room(room), payload);
        }

        foreach (long user in signal.Users ?? [])
        {
            Send(RedisKeys.User(user), payload);
        }
    }

    /// <summary>Completes when every subscription this node has asked for so far is in place (bounded wait).</summary>
    public Task SubscriptionsReadyAsync(CancellationToken ct) =>
        Volatile.Read(ref _pendingInterest) == 0 ? Task.CompletedTask : _idle.Task.WaitAsync(TimeSpan.FromSeconds(2), ct).ContinueWith(_ => { }, TaskScheduler.Default);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registry.InterestChanged = interest =>
        {
            if (Interlocked.Increment(ref _pendingInterest) == 1)
            {
                Volatile.Write(ref _idle, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            _interest.Writer.TryWrite(interest);
        };
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _registry.InterestChanged = null;
        _interest.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken);
        }
    }

    private async Task RunAsync()
    {
        await foreach (var interest in _interest.Reader.ReadAllAsync())
        {
            var channel = interest.Kind == InterestKind.Room ? RedisKeys.Room(interest.Id) : RedisKeys.User(interest.Id);
            try
            {
                if (interest.Active)
                {
                    if (!_subscriptions.ContainsKey(channel))
                    {
                        var queue = await _redis.Subscriber.SubscribeAsync(channel);
                        queue.OnMessage(message => Receive(interest, message.Message));
                        _subscriptions[channel] = queue;
                    }
                }
                else if (_subscriptions.TryRemove(channel, out var queue))
                {
                    await queue.UnsubscribeAsync();
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Redis unreachable: the multiplexer restores what was subscribed when it reconnects; a subscription
                // that never got through is retried on the next interest change for that channel.
                Log.FanoutSubscribeFailed(_log, channel.ToString(), e);
            }
            finally
            {
                if (Interlocked.Decrement(ref _pendingInterest) == 0)
                {
                    Volatile.Read(ref _idle).TrySetResult();
                }
            }
        }
    }

    private void Receive(Interest source, RedisValue value)
    {
        byte[]? payload = value;
        if (payload is null || payload.Length < 5 || BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(1)) == _node)
        {
            return; // our own publish: delivered locally already
        }

        var frame = payload.AsSpan(5);
        if (payload[0] == EventKind)
        {
            var e = JsonSerializer.Deserialize(frame, LimeJsonContext.Default.EventFrame)!.Event;
            if (_recent.TryAdd((e.Room, e.Seq), 0))
            {
                _recentOrder.Enqueue((e.Room, e.Seq));
                while (_recentOrder.Count > RecentCapacity && _recentOrder.TryDequeue(out var old))
                {
                    _recent.TryRemove(old, out _);
                }

                _local.Publish([e]);
            }
        }
        else if (payload[0] == SignalKind)
        {
            _local.Signal(source.Kind == InterestKind.Room
                ? new Signal(source.Id, null, frame.ToArray())
                : new Signal(null, [source.Id], frame.ToArray()));
        }
    }

    private void Send(RedisChannel channel, byte[] payload)
    {
        try
        {
            _redis.Subscriber.Publish(channel, payload, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Log.FanoutPublishFailed(_log, e); // at most once: clients fill the gap from the store
        }
    }

    private byte[] Pack(byte kind, byte[] frame)
    {
        byte[] payload = new byte[5 + frame.Length];
        payload[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(1), _node);
        frame.CopyTo(payload, 5);
        return payload;
    }

    private static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }
}
