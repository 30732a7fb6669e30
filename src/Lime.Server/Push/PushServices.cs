using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>Registers the outbox dispatcher and the push pipeline. The stores are SQL (SQLite or PostgreSQL, whichever ISqlDatabase is).</summary>
public static class PushServices
{
    public static IServiceCollection AddLimePush(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<LimeOptions>, PushOptionsValidator>();
        services.TryAddSingleton<IOutboxStore, SqlOutboxStore>();
        services.TryAddSingleton<IPushStore, SqlPushStore>();
        services.TryAddSingleton<IPushLedger, SqlPushLedger>();
        services.AddSingleton<PushMetrics>();
        services.AddSingleton<PushProviders>();
        services.AddSingleton<PushAudience>();
        services.AddSingleton<PushComposer>();
        services.AddSingleton<PushPreferences>();
        services.AddSingleton<IOutboxHandler, PushHandler>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddHostedService<PushLedgerPruner>();
        return services;
    }
}
