using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Storage;
using Lime.Server.Storage.Sql;
using Microsoft.Extensions.Options;

namespace Lime.Server.Cluster;

/// <summary>Which rooms' forwarded writes this node applies now.</summary>
public interface IRoomOwnership
{
    /// <summary>
    /// Whether this node takes a forwarded write for <paramref name="room"/> now: it holds the room's partition and is
    /// not draining. Called just before the writes are queued to this node's writer.
    /// </summary>
    bool AcceptsForward(long room);
}

/// <summary>Without ownership (no leases): every forwarded write is applied (the row lock keeps rooms correct).</summary>
public sealed class EveryRoom : IRoomOwnership
{
    public bool AcceptsForward(long room) => true;
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
        using (var scope = services.GetRequiredService<ForwardDrain>().Enter())
        {
            if (!ownership.AcceptsForward(batch.Room) || !scope.Accepted)
            {
                await ErrorAsync(context, StatusCodes.Status421MisdirectedRequest, new ForwardError(NotOwner, "This node does not own the room (any more)."));
                return;
            }

            // Queued in order before the first await: the writer commits them in this order.
            for (int i = 0; i < writes.Length; i++)
            {
                tasks[i] = writer.WriteAsync(writes[i], CancellationToken.None);
            }

            var outcomes = new ForwardOutcome[writes.Length];
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

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(context.Response.Body, outcomes, ClusterJson.Default.ForwardOutcomeArray, CancellationToken.None);
        }
    }

    private static async Task ErrorAsync(HttpContext context, int status, ForwardError error)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, error, ClusterJson.Default.ForwardError, CancellationToken.None);
    }
}

/// <summary>
/// Forwards being applied by this node, so a draining node can wait for them: after <see cref="Close"/> new ones are
/// refused (<c>not_owner</c>, the sender retries with the new owner) and <see cref="WaitAsync"/> completes when the
/// ones already queued are answered.
/// </summary>
public sealed class ForwardDrain
{
    private readonly object _gate = new();
    private int _active;
    private bool _closed;
    private TaskCompletionSource? _idle;

    public Scope Enter()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return new Scope(null);
            }

            _active++;
            return new Scope(this);
        }
    }

    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
        }
    }

    public Task WaitAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_active == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task.WaitAsync(ct);
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            if (--_active == 0 && _idle is { } idle)
            {
                _idle = null;
                idle.TrySetResult();
            }
        }
    }

    public readonly struct Scope(ForwardDrain? drain) : IDisposable
    {
        public bool Accepted => drain is not null;

        public void Dispose() => drain?.Exit();
    }
}
