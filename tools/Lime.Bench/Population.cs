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

    public static async Task<BenchUser[]> RegisterAsync(Nodes nodes, string tag, int count, CancellationToken ct, int concurrency = Concurrency)
    {
        var users = new BenchUser[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), Options(ct, concurrency), async (i, token) =>
        {
            var http = new LimeHttpClient(nodes.HttpFor(i));
            string name = $"{tag}-u{i}";
            users[i] = new BenchUser(i, http, await RegisterOneAsync(http, name, token));
        });
        return users;
    }

    /// <summary>
    /// Registers one user, retrying twice when a request times out or the connection drops (an overloaded server during
    /// a large set-up); if an earlier attempt did register the user, the retry's conflict is answered by logging in.
    /// </summary>
    private static async Task<TokenResponse> RegisterOneAsync(LimeHttpClient http, string name, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await http.RegisterAsync(new RegisterRequest(name, Password, DisplayName: name, DeviceName: "bench"), ct);
            }
            catch (LimeApiException e) when (attempt > 1 && e.Code == ErrorCodes.Conflict)
            {
                return await http.LoginAsync(new LoginRequest(name, Password, "bench"), ct);
            }
            catch (Exception e) when (attempt < 3 && (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested)))
            {
                // Try again: the request may or may not have been processed.
            }
        }
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

    /// <summary>Groups (or channels) created by their first member with the others as members; returns the rooms.</summary>
    public static async Task<RoomDto[]> CreateRoomsAsync(string kind, string tag, IReadOnlyList<BenchUser[]> memberLists, CancellationToken ct)
    {
        var rooms = new RoomDto[memberLists.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, memberLists.Count), Options(ct), async (i, token) =>
        {
            var members = memberLists[i];
            rooms[i] = await members[0].Http.CreateRoomAsync(
                new CreateRoomRequest(kind, $"{tag}-{kind}{i}", Members: members.Skip(1).Select(u => u.Id).ToArray()), token);
        });
        return rooms;
    }

    /// <summary>Every user joins the open channel (POST /api/rooms/{id}/join), many at once.</summary>
    public static Task JoinAsync(IReadOnlyList<BenchUser> users, long room, CancellationToken ct, int concurrency = Concurrency) =>
        Parallel.ForEachAsync(users, Options(ct, concurrency), async (u, token) => await u.Http.JoinAsync(room, token));

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

    private static ParallelOptions Options(CancellationToken ct, int concurrency = Concurrency) =>
        new() { MaxDegreeOfParallelism = concurrency, CancellationToken = ct };
}
