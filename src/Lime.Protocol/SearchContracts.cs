namespace Lime.Protocol;

/// <summary>Where a hit opens: <c>GET /api/rooms/{room}/messages?around={around}</c> (or a socket <c>history</c> frame with <c>around</c>).</summary>
public sealed record SearchJumpDto(long Room, long Around);

/// <summary>
/// One search hit: the message (room, seq, id, sender, time) with a snippet of its current text and the matches in
/// it as [start, length] pairs in UTF-16 code units of the snippet (docs/protocol.md §14).
/// </summary>
public sealed record SearchHitDto(long Room, long Seq, string Id, long Sender, long Ts, string Snippet, int[][] Highlights, SearchJumpDto Jump);

/// <summary>A page of hits, newest first; <see cref="NextCursor"/> continues with older ones (null: no more).</summary>
public sealed record SearchResponse(SearchHitDto[] Hits, string? NextCursor);

/// <summary>
/// GET /api/admin/search/stats: how far behind the index is. <see cref="IndexLagMs"/> is the age of the oldest change
/// not yet indexed (0 when the index is caught up) — the number to alert on; the p50/p99 are of recent applied entries
/// on this node (commit to indexed).
/// </summary>
public sealed record SearchStatsResponse(bool Enabled, long Pending, long IndexLagMs, long DeadLetters, long IndexedMessages, long AppliedSinceStart, double LagP50Ms, double LagP99Ms);
