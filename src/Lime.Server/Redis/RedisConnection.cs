using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lime.Server.Redis;

/// <summary>
/// The one <see cref="ConnectionMultiplexer"/> of the process (created on first use). It reconnects by itself and
/// restores subscriptions after Redis comes back; Redis is never the record of truth.
/// </summary>
public sealed class RedisConnection(IOptions<LimeOptions> options) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _multiplexer = new(() =>
    {
        var config = ConfigurationOptions.Parse(options.Value.Redis.Configuration);
        config.AbortOnConnectFail = false; // start (and keep running) while Redis is down
        config.ClientName = $"lime-node-{options.Value.NodeId}";

        // Cross-node timelines must converge within 3 s of Redis coming back. The library retries a lost connection
        // on its heartbeat (every second) when the policy says so. Its default, a randomized exponential backoff from
        // half the connect timeout, left nodes deaf to each other for up to 3.4 s after a 10 s outage ended
        // (RedisReconnectTests); a linear retry due after 0.5 s tries on every heartbeat, and they were back in
        // 0.06-1.0 s. The same policy also abandons a TCP connect still pending when it is due (not the handshake),
        // so an attempt gets at least 0.5 s, in practice until the next heartbeat.
        config.ReconnectRetryPolicy = new LinearRetry(500);

        // A killed redis-server closes the socket and is noticed at once; a vanished host is not, and an idle
        // connection (a node's subscriptions) only finds out when a keep-alive PING times out, sent after this many
        // idle seconds (library default 60), unless the configuration string sets a keepAlive other than that default.
        if (config.KeepAlive == new ConfigurationOptions().KeepAlive)
        {
            config.KeepAlive = 5;
        }

        return ConnectionMultiplexer.Connect(config);
    });

    public ConnectionMultiplexer Multiplexer => _multiplexer.Value;

    public IDatabase Database => Multiplexer.GetDatabase();

    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value.Dispose();
        }
    }
}
