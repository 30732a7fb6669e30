using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Storage;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;

namespace Lime.Server.Cluster;

/// <summary>Which rooms' writes this node applies now.</summary>
public interface IRoomOwnership
{
    /// <summary>
    /// Begins <paramref name="writes"/> writes of <paramref name="room"/> on this node's writer if it owns the room now
    /// (holds its partition and is not letting it go); then <see cref="Finish"/> must follow once they are answered, so a
    /// partition is let go only after its writes in progress finished. False: not this node's (any more).
    /// </summary>
    bool TryBegin(long room, int writes);

    void Finish(long room, int writes);
}

/// <summary>Without ownership (no leases): every forwarded write is applied (the row lock keeps rooms correct).</summary>
public sealed class EveryRoom : IRoomOwnership
{
    public bool TryBegin(long room, int writes) => true;

    public void Finish(long room, int writes)
    {
    }
}

/// <summary>
/// The owner's side of a forward: <c>POST /internal/v1/forward</c> on the internal listener with a
/// <see cref="ForwardBatch"/>. Not authentic → 401 (body unread, nothing stored). Not this node's room (any more) →
/// 421 <c>not_owner</c>, nothing queued, so the sender may retry elsewhere. Otherwise the writes are queued to this
/// node's own group-commit writer in the batch's order and the answer (200) holds each one's result or refusal,
/// once committed (and confirmed by every synchronous standby). The internal listener serves nothing else, and the
/// public listeners do not serve this path.
/// </summary>
public static class ForwardEndpoint
{
    public const string NotOwner = "not_owner";

    public static WebApplication UseLimeInternal(this WebApplication app, ClusterOptions options)
    {
        int port = InternalChannel.ListenPort(options);
        if (port == 0)
        {
            return app;
        }

        var path = new PathString(InternalChannel.ForwardPath);
        var internals = new PathString("/internal");
        app.Use(async (context, next) =>
        {
            int local = context.Connection.LocalPort; // 0: an in-process host (tests), no listener to tell apart
            bool onInternal = local == port;
            if (!context.Request.Path.StartsWithSegments(internals))
            {
                if (onInternal)
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                await next(context);
                return;
            }

            if (local != 0 && !onInternal)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            if (!context.Request.Path.Equals(path, StringComparison.Ordinal) || !HttpMethods.IsPost(context.Request.Method))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await HandleAsync(context);
        });
        return app;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var channel = services.GetRequiredService<InternalChannel>();
        if (!channel.IsAuthentic(context.Request.Headers[InternalChannel.Header]))
        {
            await ErrorAsync(context, StatusCodes.Status401Unauthorized, new ForwardError(ErrorCodes.Unauthenticated, "The internal channel needs the cluster's shared key."));
            return;
        }

        ForwardBatch? batch;
        try
        {
            batch = await JsonSerializer.DeserializeAsync(context.Request.Body, ClusterJson.Default.ForwardBatch, context.RequestAborted);
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, new ForwardError(ErrorCodes.Validation, "Malformed forward: " + e.Message));
            return;
        }

        if (batch is null || batch.Writes is not { Length: > 0 } writes || writes.Any(w => w is null || w.RoomKey != batch.Room || batch.Room <= 0))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, new ForwardError(ErrorCodes.Validation, "A forward holds one or more writes of its one room."));
            return;
        }

        var ownership = services.GetRequiredService<IRoomOwnership>();
        var writer = services.GetRequiredService<RoomWriter>();
        var tasks = new Task<RoomWriteResult>[writes.Length];
        if (!ownership.TryBegin(batch.Room, writes.Length))
        {
            await ErrorAsync(context, StatusCodes.Status421MisdirectedRequest, new ForwardError(NotOwner, "This node does not own the room (any more)."));
            return;
        }

        var outcomes = new ForwardOutcome[writes.Length];
        try
        {
            // Queued in order before the first await: the writer commits them in this order.
            for (int i = 0; i < writes.Length; i++)
            {
                tasks[i] = writer.WriteAsync(writes[i], CancellationToken.None);
            }

            for (int i = 0; i < tasks.Length; i++)
            {
                try
                {
                    outcomes[i] = new ForwardOutcome(await tasks[i], null);
                }
                catch (LimeException e)
                {
                    outcomes[i] = new ForwardOutcome(null, ForwardError.From(e));
                }
            }
        }
        finally
        {
            ownership.Finish(batch.Room, writes.Length);
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, outcomes, ClusterJson.Default.ForwardOutcomeArray, CancellationToken.None);
    }

    private static async Task ErrorAsync(HttpContext context, int status, ForwardError error)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, error, ClusterJson.Default.ForwardError, CancellationToken.None);
    }
}
