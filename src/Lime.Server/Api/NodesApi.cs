using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Cluster;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>/api/nodes: service discovery for clients (which node to connect to).</summary>
public static class NodesApi
{
    public static IEndpointRouteBuilder MapNodesApi(this IEndpointRouteBuilder app)
    {
        var nodes = app.MapGroup("/api/nodes").WithTags("Cluster").AllowAnonymous();
        nodes.MapGet("/", ListAsync);
        nodes.MapGet("/pick", PickAsync).ProducesLimeProblems(503);
        return app;
    }

    private static async Task<Ok<NodeDto[]>> ListAsync(HttpContext context, NodeRegistry registry) =>
        TypedResults.Ok(await registry.NodesAsync(SelfUrl(context)));

    private static async Task<Ok<NodeDto>> PickAsync(HttpContext context, NodeRegistry registry)
    {
        var nodes = await registry.NodesAsync(SelfUrl(context));
        return nodes.Length > 0
            ? TypedResults.Ok(nodes[0])
            : throw new LimeException(ErrorCodes.Unavailable, "No healthy node is registered.");
    }

    private static string SelfUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";
}
