namespace Lime.Server.Presence;

/// <summary>Presence of a single node, in memory.</summary>
public sealed class MemoryPresenceStore : IPresenceStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, long> _online = []; // user → newest activity (Unix ms)

    public Task<IReadOnlyList<long>> TouchAsync(IReadOnlyCollection<(long User, long ActiveAt)> activity, CancellationToken ct)
    {
        var cameOnline = new List<long>();
        lock (_lock)
        {
            foreach (var (user, at) in activity)
            {
                if (_online.TryGetValue(user, out long known))
                {
                    _online[user] = Math.Max(known, at);
                }
                else
                {
                    _online[user] = at;
                    cameOnline.Add(user);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<long>>(cameOnline);
    }

    public Task<IReadOnlyList<(long User, long LastActive)>> ExpireAsync(long before, CancellationToken ct)
    {
        var expired = new List<(long, long)>();
        lock (_lock)
        {
            foreach (var (user, at) in _online)
            {
                if (at < before)
                {
                    expired.Add((user, at));
                }
            }

            foreach (var (user, _) in expired)
            {
                _online.Remove(user);
            }
        }

        return Task.FromResult<IReadOnlyList<(long, long)>>(expired);
    }

    public Task<bool[]> AreOnlineAsync(IReadOnlyList<long> users, CancellationToken ct)
    {
        lock (_lock)
        {
            return Task.FromResult(users.Select(_online.ContainsKey).ToArray());
        }
    }
}
