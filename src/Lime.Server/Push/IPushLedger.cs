namespace Lime.Server.Push;

/// <summary>
/// What was already pushed: the idempotency ledger (one row per notification key once sent, collapsed or dropped)
/// and each target's collapse window. Guarantees: a key is recorded at most once; window decisions for one target
/// are serialized (one transaction, rows locked on PostgreSQL), so a burst seen by concurrent workers still yields
/// one leading push per window; a collapsed key always has a digest entry scheduled in the same commit.
/// </summary>
public interface IPushLedger
{
    /// <summary>The keys among <paramref name="keys"/> already in the ledger.</summary>
    Task<HashSet<string>> SeenAsync(IReadOnlyCollection<string> keys, CancellationToken ct);

    /// <summary>Decides, in order, whether each notification is pushed now or collapsed (windows of <paramref name="windowMs"/>).</summary>
    Task<WindowDecision[]> DecideAsync(IReadOnlyList<WindowRequest> requests, long now, long windowMs, CancellationToken ct);

    /// <summary>The digest waiting in a target's window, or null.</summary>
    Task<DigestState?> GetDigestAsync(long targetId, CancellationToken ct);

    /// <summary>
    /// After a digest that covered <paramref name="covered"/> messages went out (or was not needed): takes them off
    /// the window, which now runs <paramref name="windowMs"/> from now; schedules the next digest if more were collapsed
    /// meanwhile; records the digest's key in the ledger — all in one commit.
    /// </summary>
    Task CompleteDigestAsync(long targetId, long covered, string key, long now, long windowMs, CancellationToken ct);

    /// <summary>Records keys with their outcome (existing keys are kept as they are).</summary>
    Task RecordAsync(IReadOnlyCollection<(string Key, string Outcome)> keys, long now, CancellationToken ct);

    /// <summary>Deletes keys recorded before <paramref name="before"/>; returns how many.</summary>
    Task<int> PruneAsync(long before, CancellationToken ct);
}
