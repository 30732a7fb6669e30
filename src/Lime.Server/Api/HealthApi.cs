using Lime.Protocol;
using Lime.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>/healthz: the process is alive. /readyz: the store answers.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).WithTags("Health").AllowAnonymous();
        app.MapGet("/readyz", ReadyAsync).WithTags("Health").AllowAnonymous();
        return app;
    }

    private static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> ReadyAsync(IRoomStore store, CancellationToken ct)
    {
        try
        {
            await store.PingAsync(ct);
            return TypedResults.Ok(new HealthResponse("ready"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return TypedResults.Json(new HealthResponse("store unreachable"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
