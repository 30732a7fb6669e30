using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Search;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Lime.Server.Api;

/// <summary>GET /api/search: the caller's messages matching a query (docs/protocol.md §14); /api/admin/search/stats: the index lag (admins of Lime:Push:AdminUserIds only).</summary>
public static class SearchApi
{
    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/search", SearchAsync).WithTags("Search").RequireAuthorization().ProducesLimeProblems(400, 401, 403, 404, 503);
        var admin = app.MapGroup("/api/admin/search").WithTags("Admin").RequireAuthorization().AddEndpointFilter<Admin.AdminAudit>(); // admins only, audited
        admin.MapGet("/stats", GetStatsAsync).ProducesLimeProblems(401, 403);
        return app;
    }

    private static async Task<Ok<SearchResponse>> SearchAsync(ClaimsPrincipal user, SearchService search, string? q, string? mode, long? room, long? from,
        long? before, long? after, string? cursor, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await search.SearchAsync(user.UserId(), q, mode, room, from, before, after, cursor, limit, ct));

    private static async Task<Ok<SearchStatsResponse>> GetStatsAsync(ISearchIndex index, SearchMetrics metrics, IOptions<LimeOptions> options, TimeProvider time, CancellationToken ct)
    {
        var stats = await index.StatsAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        var (applied, p50, p99) = metrics.Recent();
        return TypedResults.Ok(new SearchStatsResponse(options.Value.Search.Enabled, stats.Pending, stats.OldestPendingAgeMs, stats.DeadLetters, stats.IndexedMessages, applied, p50, p99));
    }
}
