using Lime.Protocol;

namespace Lime.Server.Fanout;

/// <summary>
/// Carries committed room events to every connected device of the room's members. A fast path, not the record:
/// delivery is at most once, and a client that misses something sees a seq gap and fills it from history.
/// Events published by one caller in one order are delivered to each connection in that order (the room writer
/// publishes in commit order, so every member sees seq order).
/// </summary>
public interface IFanout
{
    /// <summary>Hands over committed events; never blocks on delivery.</summary>
    void Publish(IReadOnlyList<EventDto> events);

    /// <summary>Hands over an ephemeral frame (at most once, no ordering promise relative to events).</summary>
    void Signal(Signal signal);

    /// <summary>
    /// Completes when the subscriptions this node has asked for so far are in place, so that a catch-up read after
    /// it cannot miss an event that is then not delivered live (bounded wait; immediate for in-process fanout).
    /// </summary>
    Task SubscriptionsReadyAsync(CancellationToken ct) => Task.CompletedTask;
}
