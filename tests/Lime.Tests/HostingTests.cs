using Lime.Server.Fanout;
using Lime.Server.Storage.Sqlite;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lime.Tests;

/// <summary>Which background services a node runs, per configuration.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task Every_configuration_chosen_background_service_is_registered_none_shadowed_by_another()
    {
        // AddHostedService de-duplicates by implementation type: two registrations of one wrapper type would silently
        // keep only the first (this once dropped the Redis fanout from every clustered node).
        await using var server = new LimeServer();
        var hosted = server.Services.GetServices<IHostedService>().ToList();
        // One per optional service: the SQLite checkpointer, the Redis fanout, the Redis revocation relay and the
        // partition leases of room ownership (each chosen by configuration; here only the checkpointer has an inner one).
        Assert.Equal(4, hosted.Count(h => h.GetType().Name == "OptionalHostedService"));
        Assert.Contains(hosted, h => h is MemoryFanout);
        Assert.NotNull(server.Services.GetService<SqliteCheckpointer>());
    }
}
