using System.Diagnostics;
using Lime.Client;
using Lime.Protocol;

namespace Lime.Bench;

/// <summary>A registered bench user: its REST client (bound to one node) and its current tokens.</summary>
internal sealed class BenchUser(int index, LimeHttpClient http, TokenResponse tokens)
{
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromMinutes(10);
    private long _tokenIssuedAt = Stopwatch.GetTimestamp();

    public int Index { get; } = index;
    public LimeHttpClient Http { get; } = http;
    public TokenResponse Tokens { get; private set; } = tokens;
    public long Id => Tokens.User.Id;

    /// <summary>Opens a socket to this user's node, refreshing the access token first if it is getting old.</summary>
    public async Task<LimeSocket> ConnectAsync(CancellationToken ct, LimeSocketOptions? options = null)
    {
        if (Stopwatch.GetElapsedTime(_tokenIssuedAt) > RefreshAfter)
        {
            Tokens = await Http.RefreshAsync(Tokens.RefreshToken, ct);
            _tokenIssuedAt = Stopwatch.GetTimestamp();
        }

        // Heartbeats follow the server's hello (default every 15 s), so long runs are not closed as idle.
        return await LimeSocket.ConnectAsync(Http.WebSocketUri(), Tokens.AccessToken, options ?? new LimeSocketOptions(), ct);
    }
}
