namespace Lime.Server.Push;

/// <summary>How an entry leaves a claim.</summary>
public enum OutboxFinish
{
    /// <summary>Deleted.</summary>
    Done,

    /// <summary>Released with next_attempt_at = the given time and the error kept.</summary>
    Retry,

    /// <summary>Moved to the dead letters with the error.</summary>
    Dead,

    /// <summary>Released unprocessed (shutdown): due now, the claim not counted as an attempt.</summary>
    Release,
}

public readonly record struct OutboxFinishing(long Id, OutboxFinish How, long NextAttemptAt = 0, string? Error = null);

public sealed record OutboxStats(long Pending, long? OldestDueAt, long DeadLetters);

public sealed record DeadLetterRecord(long Id, long EntryId, long RoomId, long Seq, string Topic, long? TargetId, long CreatedAt, long Attempts, string LastError, long DeadAt);

/// <summary>
/// The outbox as dispatchers see it. Entries are written in the commit of their event by the room writer (and by
/// push, for digests). Guarantees: a claim is a lease — until it ends no other claimer gets the entry (PostgreSQL:
/// FOR UPDATE SKIP LOCKED; SQLite: the claim is one write transaction, and SQLite has one writer at a time); once it
/// ends the entry is due again. <see cref="FinishAsync"/> changes only entries the claimer still holds, so a claimer
/// whose lease was taken over cannot undo the new holder's work. Every method is one transaction.
/// </summary>
public interface IOutboxStore
{
    /// <summary>Claims up to <paramref name="max"/> due entries (oldest due first) until <paramref name="leaseUntil"/>; counts an attempt on each.</summary>
    Task<IReadOnlyList<OutboxEntry>> ClaimAsync(string claimer, long now, long leaseUntil, int max, CancellationToken ct);

    Task FinishAsync(string claimer, IReadOnlyList<OutboxFinishing> finishings, long now, CancellationToken ct);

    /// <summary>Makes every entry claimed by a claimer id starting with <paramref name="claimerPrefix"/> due now (a restarted node's own claims).</summary>
    Task<int> ReleaseAsync(string claimerPrefix, long now, CancellationToken ct);

    /// <summary>Deletes every due, unclaimed entry (nothing consumes them in this configuration); returns how many.</summary>
    Task<int> DropDueAsync(long now, CancellationToken ct);

    Task<OutboxStats> StatsAsync(CancellationToken ct);

    /// <summary>Dead letters by id, after <paramref name="afterId"/>.</summary>
    Task<IReadOnlyList<DeadLetterRecord>> ListDeadLettersAsync(long afterId, int limit, CancellationToken ct);

    /// <summary>Moves dead letters (the given ids, or all) back into the outbox as new entries due now, attempts reset.</summary>
    Task<int> RequeueAsync(long[]? ids, long now, CancellationToken ct);
}
