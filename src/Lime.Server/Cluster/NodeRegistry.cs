using System.Globalization;
using Lime.Protocol;
using Lime.Server.Fanout;
using Lime.Server.Realtime;
using Lime.Server.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lime.Server.Cluster;

/// <summary>
/// Node discovery: with Redis, each node announces its public URL and load (open connections) every two seconds;
/// a node not heard from within <see cref="ClusterOptions.NodeTtlSeconds"/> is left out. A new or drained client asks
/// any node for the least-loaded healthy one. On shutdown the node withdraws first, so no client is sent to it.
/// Without Redis (one node) the answer is this node.
/// </summary>
public sealed class NodeRegistry(IServiceProvider services, ConnectionRegistry connections, IOptions<LimeOptions> options) : BackgroundService
{
    private readonly LimeOptions _options = options.Value;
    private volatile bool _stopping;

    private RedisConnection? Redis => _options.Fanout.Provider == FanoutProvider.Redis ? services.GetRequiredService<RedisConnection>() : null;

    /// <summary>Healthy nodes, least loaded first.</summary>
    public async Task<NodeDto[]> NodesAsync(string fallbackUrl)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (Redis is not { } redis)
        {
            return [new NodeDto(_options.NodeId, Url(fallbackUrl), connections.Count)];
        }

        var entries = await redis.Database.HashGetAllAsync(RedisKeys.Nodes);
        return [.. entries
            .Select(e => Parse((int)e.Name, e.Value.ToString()))
            .Where(n => n is not null && now - n.Value.At < _options.Cluster.NodeTtlSeconds * 1000L)
            .Select(n => n!.Value.Node)
            .OrderBy(n => n.Connections)
            .ThenBy(n => n.NodeId)];
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (Redis is { } redis && !string.IsNullOrEmpty(_options.Cluster.PublicUrl))
        {
            try
            {
                await redis.Database.HashDeleteAsync(RedisKeys.Nodes, _options.NodeId);
            }
            catch (RedisException)
            {
                // Redis is down: the entry expires by its age.
            }
        }

        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Redis is not { } redis || string.IsNullOrEmpty(_options.Cluster.PublicUrl))
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        do
        {
            if (_stopping)
            {
                break;
            }

            try
            {
                string value = string.Create(CultureInfo.InvariantCulture, $"{_options.Cluster.PublicUrl}|{connections.Count}|{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
                await redis.Database.HashSetAsync(RedisKeys.Nodes, _options.NodeId, value);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Redis is down: try again next tick.
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private string Url(string fallback) => string.IsNullOrEmpty(_options.Cluster.PublicUrl) ? fallback : _options.Cluster.PublicUrl;

    private static (NodeDto Node, long At)? Parse(int node, string value)
    {
        string[] parts = value.Split('|');
        return parts.Length == 3
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int load)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long at)
            ? (new NodeDto(node, parts[0], load), at)
            : null;
    }
}
