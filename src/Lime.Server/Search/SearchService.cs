using System.Globalization;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Search;

/// <summary>
/// Message search for REST and socket alike (docs/protocol.md §14): validates, then asks the index for the caller's
/// readable messages, verifies runs the index only finds by bigrams, and builds hits with snippets. Checks, in order:
/// search on (<c>unavailable</c>), <c>mode</c>, <c>q</c> (<c>query_too_short</c>, <c>query_too_long</c>), <c>limit</c>,
/// <c>cursor</c>, <c>before</c>/<c>after</c>, <c>from</c> (<c>validation</c>), then <c>room</c>: no such room
/// <c>not_found</c>, not a member <c>forbidden</c>.
/// </summary>
public sealed class SearchService(ISearchIndex index, IRoomStore rooms, IOptions<LimeOptions> options)
{
    /// <summary>Index reads per page at most: candidates that fail verification are replaced from further reads.</summary>
    private const int MaxRounds = 4;

    public const int DefaultLimit = 20;

    public async Task<SearchResponse> SearchAsync(long userId, string? q, string? mode, long? roomId, long? from, long? before, long? after, string? cursor, int? limit,
        CancellationToken ct = default)
    {
        var search = options.Value.Search;
        if (!search.Enabled)
        {
            throw new LimeException(ErrorCodes.Unavailable, "Search is turned off on this server (Lime:Search:Enabled).");
        }

        var parsedMode = mode switch
        {
            null or "" or "text" => SearchMode.Text,
            "initials" => SearchMode.Initials,
            _ => throw LimeException.Validation("mode must be 'text' or 'initials'."),
        };
        var query = SearchQuery.Parse(q, parsedMode);
        if (limit is < 1 || limit > search.MaxPageSize)
        {
            throw LimeException.Validation($"limit must be 1-{search.MaxPageSize}.");
        }

        long beforeId = long.MaxValue;
        if (cursor is not null && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out beforeId) || beforeId < 1))
        {
            throw LimeException.Validation("Malformed cursor.");
        }

        if (before is < 0 || after is < 0 || (before is { } b && after is { } a && a >= b))
        {
            throw LimeException.Validation("before/after are Unix ms times ≥ 0, after < before.");
        }

        if (from is < 1)
        {
            throw LimeException.Validation("from must be a user id.");
        }

        if (roomId is { } r)
        {
            _ = await rooms.GetRoomAsync(r, ct) ?? throw LimeException.NotFound("No such room.");
            _ = await rooms.GetMemberAsync(r, userId, ct) ?? throw LimeException.Forbidden("You are not a member of this room.");
        }

        int take = limit ?? DefaultLimit;
        var hits = new List<SearchHitDto>(take);
        long examined = beforeId;
        bool more = false;
        for (int round = 0; round < MaxRounds && hits.Count < take; round++)
        {
            int want = take - hits.Count;
            int read = Math.Min(search.MaxPageSize * 2, want * 2); // a little over: some may fail verification
            var candidates = await index.FindAsync(new SearchFilter(userId, query, roomId, from, before, after, examined, read), ct);
            foreach (var c in candidates)
            {
                examined = c.EventId;
                if (!query.Verify(c.Text))
                {
                    continue;
                }

                var (snippet, highlights) = Snippet.Make(c.Text, query);
                hits.Add(new SearchHitDto(c.RoomId, c.Seq, c.EventId.ToString(CultureInfo.InvariantCulture), c.SenderId, c.CreatedAt, snippet, highlights,
                    new SearchJumpDto(c.RoomId, c.Seq)));
                if (hits.Count == take)
                {
                    break;
                }
            }

            more = candidates.Count == read;
            if (!more)
            {
                break;
            }
        }

        // Continue after the last hit given (candidates read past it are read again), or past what was examined when
        // verification left the page short; null when the index has nothing older.
        string? next = hits.Count == take ? hits[^1].Id : more ? examined.ToString(CultureInfo.InvariantCulture) : null;
        return new SearchResponse([.. hits], next);
    }
}
