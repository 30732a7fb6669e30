namespace Lime.Server.Presence;

/// <summary>
/// Who is online, across all nodes. A user is online while some node reports activity within the timeout.
/// Transitions are reported once: when several nodes race, exactly one of them gets a user back from
/// <see cref="TouchAsync"/> (went online) or <see cref="ExpireAsync"/> (went offline).
/// </summary>
public interface IPresenceStore
{
    /// <summary>Records activity (Unix ms) of users active on this node; returns those who were offline until now.</summary>
    Task<IReadOnlyList<long>> TouchAsync(IReadOnlyCollection<(long User, long ActiveAt)> activity, CancellationToken ct);

    /// <summary>Marks offline every user whose newest activity anywhere is before <paramref name="before"/>; returns them.</summary>
    Task<IReadOnlyList<(long User, long LastActive)>> ExpireAsync(long before, CancellationToken ct);

    Task<bool[]> AreOnlineAsync(IReadOnlyList<long> users, CancellationToken ct);
}
