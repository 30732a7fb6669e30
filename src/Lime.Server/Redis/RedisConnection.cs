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
