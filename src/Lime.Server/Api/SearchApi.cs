using Lime.Protocol;
using Lime.Server.Search;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Lime.Server.Api;

/// <summary>/api/admin/search/stats: the index lag (admins of Lime:Push:AdminUserIds only).</summary>
public static class SearchApi
{
    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/search").WithTags("Admin").RequireAuthorization().AddEndpointFilter(PushApi.RequireAdmin);
        admin.MapGet("/stats", GetStatsAsync).ProducesLimeProblems(401, 403);
        return app;
    }

    private static async Task<Ok<SearchStatsResponse>> GetStatsAsync(ISearchIndex index, SearchMetrics metrics, IOptions<LimeOptions> options, TimeProvider time, CancellationToken ct)
    {
        var stats = await index.StatsAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        var (applied, p50, p99) = metrics.Recent();
        return TypedResults.Ok(new SearchStatsResponse(options.Value.Search.Enabled, stats.Pending, stats.OldestPendingAgeMs, stats.DeadLetters, stats.IndexedMessages, applied, p50, p99));
    }
}
