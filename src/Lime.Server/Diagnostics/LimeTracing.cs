using System.Diagnostics;
using Lime.Protocol;

namespace Lime.Server.Diagnostics;

/// <summary>
/// The server's spans, on the ActivitySource <c>Lime</c>. One trace per message send:
/// <list type="bullet">
/// <item><c>lime.send</c> — the send from its arrival (frame or REST request) to its ack or refusal;</item>
/// <item><c>lime.commit</c>, its child — the group commit that made it durable (all sends of one batch share its
/// start and end; the batch size is a tag);</item>
/// <item><c>lime.fanout</c>, child of the commit — from the event being handed to the fanout to its delivery to this
/// node's connections (tag: copies).</item>
/// </list>
/// Nothing is recorded unless a listener samples the send (OpenTelemetry with <c>Lime:Tracing:Enabled</c>, or any
/// <see cref="ActivityListener"/>): without one, <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null at once and no commit or fanout span is made. Tags carry ids only, never message text.
/// </summary>
public static class LimeTracing
{
    public const string SourceName = "Lime";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts a send's span: under the current span if that is recorded (a REST request's), else as the root of a
    /// trace of its own (a socket frame: the upgrade request, current for the connection's lifetime, is not traced).
    /// </summary>
    public static Activity? StartSend(long roomId, long userId)
    {
        var current = Activity.Current;
        if (current is { Recorded: false })
        {
            Activity.Current = null;
        }

        var activity = Source.StartActivity("lime.send", ActivityKind.Internal);
        if (activity is null && current is { Recorded: false })
        {
            Activity.Current = current;
        }

        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("lime.room", roomId);
            activity.SetTag("lime.user", userId);
        }

        return activity;
    }

    /// <summary>Ends a send span with its outcome: the seq, or the refusal's error code.</summary>
    public static void EndSend(Activity? activity, AckDto? ack, string? errorCode)
    {
        if (activity is null)
        {
            return;
        }

        if (ack is not null)
        {
            activity.SetTag("lime.seq", ack.Seq);
            activity.SetTag("lime.duplicate", ack.Duplicate);
        }
        else
        {
            activity.SetTag("lime.error", errorCode);
            activity.SetStatus(ActivityStatusCode.Error, errorCode);
        }

        activity.Dispose();
    }

    /// <summary>A finished commit span under <paramref name="send"/> (null if it is not sampled).</summary>
    public static ActivityContext? RecordCommit(ActivityContext send, DateTimeOffset start, DateTimeOffset end, int batch, bool confirmed)
    {
        using var activity = Source.StartActivity("lime.commit", ActivityKind.Internal, send, startTime: start);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("lime.batch.size", batch);
        if (!confirmed)
        {
            activity.SetStatus(ActivityStatusCode.Error, "not confirmed");
        }

        activity.SetEndTime(end.UtcDateTime);
        return activity.Context;
    }

    /// <summary>A finished fanout span under <paramref name="commit"/>, from the hand-over to now.</summary>
    public static void RecordFanout(ActivityContext commit, DateTimeOffset handedOver, long room, long seq, int copies)
    {
        using var activity = Source.StartActivity("lime.fanout", ActivityKind.Internal, commit, startTime: handedOver);
        if (activity is null)
        {
            return;
        }

        activity.SetTag("lime.room", room);
        activity.SetTag("lime.seq", seq);
        activity.SetTag("lime.fanout.copies", copies);
    }
}

/// <summary>
/// A batch of committed events handed to the fanout with the commit span of each (the trace context travels with
/// the batch through the in-process dispatcher). Made only when some send of the batch is traced.
/// </summary>
public sealed class TracedEvents(List<EventDto> events, ActivityContext?[] commits, DateTimeOffset handedOver) : IReadOnlyList<EventDto>
{
    public DateTimeOffset HandedOver => handedOver;

    public EventDto this[int index] => events[index];

    public int Count => events.Count;

    /// <summary>The commit span of event <paramref name="index"/>, if its send was traced.</summary>
    public ActivityContext? CommitOf(int index) => commits[index];

    public IEnumerator<EventDto> GetEnumerator() => events.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
