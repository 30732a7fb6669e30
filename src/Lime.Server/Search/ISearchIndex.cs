namespace Lime.Server.Search;

/// <summary>A message's state as the index wants it. <see cref="Text"/> null: deleted for everyone (nothing to find).
/// <see cref="Version"/>: seq of the newest event that set this state (the message, its latest edit or its delete).</summary>
public sealed record IndexedMessage(long RoomId, long Seq, long EventId, long SenderId, long CreatedAt, long Version, string? Text);

/// <summary>What a search looks in: the caller's readable messages, narrowed by room, sender and time (Unix ms, exclusive),
/// older than the message id <see cref="BeforeEventId"/> (the cursor).</summary>
public sealed record SearchFilter(long UserId, SearchQuery Query, long? RoomId, long? SenderId, long? BeforeTs, long? AfterTs, long BeforeEventId, int Limit);

/// <summary>A message whose tokens have every term of the query, with its current text (to verify and highlight).</summary>
public sealed record SearchCandidate(long RoomId, long Seq, long EventId, long SenderId, long CreatedAt, string Text);

/// <summary>How far behind the index is: search entries waiting in the outbox, the age of the oldest, dead letters.</summary>
public sealed record SearchIndexStats(long Pending, long OldestPendingAgeMs, long DeadLetters, long IndexedMessages);

/// <summary>
/// The message index, one per storage backend (SQLite FTS5, PostgreSQL GIN over a tsvector), holding the tokens of
/// <see cref="Tokenizer"/> only. Guarantees: <see cref="ApplyAsync"/> is idempotent and order-free — a state replaces
/// the indexed one only if its version is newer, so redelivered or reordered outbox entries converge on the newest
/// state; <see cref="FindAsync"/> returns only messages the user may read now: rooms they are a member of, from
/// their join on (seq ≥ joined_seq), not deleted for everyone, not hidden by them.
/// </summary>
public interface ISearchIndex
{
    /// <summary>The stored state of these messages; keys that are no message (or no longer exist) are left out.</summary>
    Task<IReadOnlyList<IndexedMessage>> LoadAsync(IReadOnlyCollection<(long Room, long Seq)> keys, CancellationToken ct);

    /// <summary>Indexes (or, Text null, removes) each state unless the index has the same or a newer version; one transaction.</summary>
    Task ApplyAsync(IReadOnlyList<IndexedMessage> messages, CancellationToken ct);

    /// <summary>Candidates newest first (by message id), at most <see cref="SearchFilter.Limit"/>.</summary>
    Task<IReadOnlyList<SearchCandidate>> FindAsync(SearchFilter filter, CancellationToken ct);

    Task<SearchIndexStats> StatsAsync(long now, CancellationToken ct);
}
