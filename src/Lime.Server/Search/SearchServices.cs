using Lime.Server.Push;
using Microsoft.Extensions.Options;

namespace Lime.Server.Search;

/// <summary>Registers search: the index of the chosen storage backend, the outbox handler that feeds it, the service.</summary>
public static class SearchServices
{
    public static IServiceCollection AddLimeSearch(this IServiceCollection services)
    {
        services.AddSingleton<SqliteSearchIndex>();
        services.AddSingleton<PostgresSearchIndex>();
        services.AddSingleton<ISearchIndex>(sp => sp.GetRequiredService<IOptions<LimeOptions>>().Value.Storage.Provider switch
        {
            StorageProvider.Sqlite => sp.GetRequiredService<SqliteSearchIndex>(),
            _ => sp.GetRequiredService<PostgresSearchIndex>(),
        });
        services.AddSingleton<SearchMetrics>();
        services.AddSingleton<IOutboxHandler, SearchIndexer>();
        services.AddSingleton<SearchService>();
        return services;
    }
}
