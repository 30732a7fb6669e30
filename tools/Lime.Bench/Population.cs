using Lime.Client;
using Lime.Protocol;

namespace Lime.Bench;

/// <summary>Fast set-up through the public REST API: users, direct rooms and sockets, created concurrently.</summary>
internal static class Population
{
    /// <summary>How many set-up requests run at once; enough to keep a server busy without queueing thousands.</summary>
    public const int Concurrency = 32;

    private const string Password = "bench-password-0123";
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);

    /// <summary>A fresh name prefix, so repeated runs against one server never collide.</summary>
    public static string NewTag() => "b" + Guid.NewGuid().ToString("N")[..8];

    public static async Task<BenchUser[]> RegisterAsync(Nodes nodes, string tag, int count, CancellationToken ct)
    {
        var users = new BenchUser[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), Options(ct), async (i, token) =>
        {
            var http = new LimeHttpClient(nodes.HttpFor(i));
            string name = $"{tag}-u{i}";
            var tokens = await http.RegisterAsync(new RegisterRequest(name, Password, DisplayName: name, DeviceName: "bench"), token);
            users[i] = new BenchUser(i, http, tokens);
        });
        return users;
    }

    /// <summary>The direct room of each pair (owner, peer); the owner creates it.</summary>
    public static async Task<RoomDto[]> CreateDirectRoomsAsync(IReadOnlyList<(BenchUser Owner, BenchUser Peer)> pairs, CancellationToken ct)
    {
        var rooms = new RoomDto[pairs.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Count), Options(ct), async (i, token) =>
        {
            rooms[i] = await pairs[i].Owner.Http.CreateDirectAsync(pairs[i].Peer.Id, token);
        });
        return rooms;
    }

    public static async Task<LimeSocket[]> ConnectAsync(IReadOnlyList<BenchUser> users, CancellationToken ct)
    {
        var sockets = new LimeSocket[users.Count];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, users.Count), Options(ct), async (i, token) =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(ConnectTimeout);
                sockets[i] = await users[i].ConnectAsync(timeout.Token);
            });
        }
        catch
        {
            await CloseAllAsync(sockets.Where(s => s is not null));
            throw;
        }

        return sockets;
    }

    /// <summary>Closes sockets gracefully (each waits at most ~2 s for the server's close), all at once.</summary>
    public static Task CloseAllAsync(IEnumerable<LimeSocket> sockets) =>
        Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask()));

    private static ParallelOptions Options(CancellationToken ct) => new() { MaxDegreeOfParallelism = Concurrency, CancellationToken = ct };
}
