using Lime.Server.Push;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Search;

/// <summary>
/// Applies <c>search</c> outbox entries (written in the commit of a message, an edit or a delete for everyone) to the
/// index, off the send path: each entry names a message, whose current state is read and indexed — so handling is
/// idempotent and order-free (a redelivered or late entry re-applies a state the version check keeps or ignores).
/// A failure throws: the dispatcher retries the batch with backoff and dead-letters it after
/// <c>Lime:Push:MaxAttempts</c>, like every outbox entry (requeue: POST /api/admin/outbox/dead-letters/requeue).
/// </summary>
public sealed class SearchIndexer(ISearchIndex index, SearchMetrics metrics, TimeProvider time, IOptions<LimeOptions> options) : IOutboxHandler
{
    public IReadOnlyCollection<string> Topics { get; } = [OutboxTopics.Search];

    public bool Active => options.Value.Search.Enabled;

    public async Task<OutboxOutcome[]> HandleAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken ct)
    {
        if (Active)
        {
            var keys = entries.Select(e => (e.RoomId, e.Seq)).ToHashSet();
            var states = await index.LoadAsync(keys, ct);
            await index.ApplyAsync(states, ct);
            long now = time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var entry in entries)
            {
                metrics.Indexed(Math.Max(0, now - entry.CreatedAt));
            }
        }

        return [.. entries.Select(_ => OutboxOutcome.Done)];
    }
}
