namespace Lime.Server.Push;

/// <summary>
/// Consumes outbox entries of some topics (push now; search indexing later). Delivery is at least once: after a
/// crash, an expired lease or a requeue, the same entry is handed over again, so handling must be idempotent.
/// Returns one outcome per entry, in order. Throwing fails the whole batch for a retry.
/// </summary>
public interface IOutboxHandler
{
    IReadOnlyCollection<string> Topics { get; }

    /// <summary>Whether it does anything in this configuration (push off: no). With no active handler the outbox is
    /// drained in bulk, without claims.</summary>
    bool Active { get; }

    Task<OutboxOutcome[]> HandleAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken ct);
}
