using System.Diagnostics;
using System.Threading.Channels;
using Lime.Server;
using Lime.Server.Redis;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lime.Tests;

/// <summary>
/// Redis killed for 10 s and started again on the same port: two nodes' <see cref="RedisConnection"/>s reconnect by
/// themselves, and a publish from one reaches the other's subscription within 3 s of Redis being back (the bound
/// for cross-node timelines to converge). StackExchange.Redis's default exponential reconnect backoff can exceed it.
/// </summary>
public sealed class RedisReconnectTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task After_redis_is_killed_for_ten_seconds_and_restarted_each_node_hears_the_other_within_three_seconds()
    {
        Assert.SkipWhen(Services.RedisServer is null && !Services.InCi, "redis-server is not installed (apt-get install redis-server); required when CI is set.");
        await using var redis = new RedisInstance();
        await redis.StartAsync();
        using var node1 = Node(redis, 1);
        using var node2 = Node(redis, 2);
        var channel = RedisChannel.Literal("lime:test:reconnect");

        // Each node subscribes and publishes: node 1 hearing node 2 needs node 2's publishing connection and node 1's
        // subscribing one back, and the other way round, so between them every connection must have reconnected.
        var heard1 = Channel.CreateUnbounded<string>();
        var heard2 = Channel.CreateUnbounded<string>();
        await node1.Subscriber.SubscribeAsync(channel, (_, m) => Hear(heard1, m, from: "2")).Within();
        await node2.Subscriber.SubscribeAsync(channel, (_, m) => Hear(heard2, m, from: "1")).Within();
        Assert.Equal(2, await node1.Subscriber.PublishAsync(channel, "1 before").Within());
        Assert.Equal(2, await node2.Subscriber.PublishAsync(channel, "2 before").Within());
        Assert.Equal("2 before", await heard1.Reader.ReadAsync().AsTask().Within());
        Assert.Equal("1 before", await heard2.Reader.ReadAsync().AsTask().Within());

        await redis.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(10));
        Assert.False(node1.Multiplexer.IsConnected);
        Assert.False(node2.Multiplexer.IsConnected);

        await redis.StartAsync(); // returns once the port accepts connections
        var back = Stopwatch.StartNew();

        // Each node publishes a numbered message every 100 ms through its own connection (never a fresh one) until
        // both have heard the other. Messages published before a node resubscribed are lost (pub/sub is at most once).
        using var stop = new CancellationTokenSource(Bound + TimeSpan.FromSeconds(7));
        var publishing = Task.Run(async () =>
        {
            for (int n = 0; !stop.IsCancellationRequested; n++)
            {
                Publish(node1, channel, $"1 after {n}");
                Publish(node2, channel, $"2 after {n}");
                await Task.Delay(100, CancellationToken.None);
            }
        });

        var first1 = FirstAsync(heard1, back, stop.Token);
        var first2 = FirstAsync(heard2, back, stop.Token);
        var (message1, at1) = await first1;
        var (message2, at2) = await first2;
        await stop.CancelAsync();
        await publishing.Within();
        output.WriteLine($"node 1 first heard node 2 ('{message1}') {at1.TotalMilliseconds:F0} ms, node 2 first heard node 1 ('{message2}') {at2.TotalMilliseconds:F0} ms after redis-server accepted connections again");
        Assert.StartsWith("2 after ", message1, StringComparison.Ordinal);
        Assert.StartsWith("1 after ", message2, StringComparison.Ordinal);
        Assert.True(at1 <= Bound, $"node 1 heard node 2 again {at1.TotalMilliseconds:F0} ms after Redis was back, more than {Bound.TotalMilliseconds} ms");
        Assert.True(at2 <= Bound, $"node 2 heard node 1 again {at2.TotalMilliseconds:F0} ms after Redis was back, more than {Bound.TotalMilliseconds} ms");
    }

    private static void Hear(Channel<string> heard, RedisValue message, string from)
    {
        if (((string)message!).StartsWith(from + " ", StringComparison.Ordinal))
        {
            heard.Writer.TryWrite(message!);
        }
    }

    private static void Publish(RedisConnection node, RedisChannel channel, string message)
    {
        try
        {
            // While disconnected the library queues it (its backlog) and sends it once reconnected.
            _ = node.Subscriber.PublishAsync(channel, message, CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
            // Not accepted while disconnected; the next one may be.
        }
    }

    /// <summary>The first message heard and when, or (null, the time it gave up).</summary>
    private static async Task<(string? Message, TimeSpan At)> FirstAsync(Channel<string> heard, Stopwatch clock, CancellationToken stop)
    {
        try
        {
            string message = await heard.Reader.ReadAsync(stop);
            return (message, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            return (null, clock.Elapsed);
        }
    }

    /// <summary>
    /// A node's connection exactly as LIME makes it, connected before the outage. Its configuration string is the
    /// shape of the default (host:port only), not <see cref="RedisInstance.Configuration"/>, whose short connect
    /// timeout would also shorten the library's default reconnect backoff and hide what a deployment gets.
    /// </summary>
    private static RedisConnection Node(RedisInstance redis, int nodeId)
    {
        string configuration = $"127.0.0.1:{redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        var connection = new RedisConnection(Options.Create(new LimeOptions { NodeId = nodeId, Redis = { Configuration = configuration } }));
        Assert.True(connection.Multiplexer.IsConnected);
        return connection;
    }
}
