namespace Lime.Server.Storage;

/// <summary>Users and their device sessions. Every method is one durable commit (or a read).</summary>
public interface IAccountStore
{
    /// <summary>Creates a user; returns null if the (lower-case) username is taken.</summary>
    Task<UserRecord?> CreateUserAsync(string username, string displayName, string passwordHash, long now, CancellationToken ct);

    Task<UserRecord?> FindUserByNameAsync(string username, CancellationToken ct);

    Task<UserRecord?> GetUserAsync(long id, CancellationToken ct);

    /// <summary>The ids among <paramref name="ids"/> that belong to existing users.</summary>
    Task<IReadOnlyList<long>> ExistingUserIdsAsync(IReadOnlyCollection<long> ids, CancellationToken ct);

    Task UpdateDisplayNameAsync(long userId, string displayName, CancellationToken ct);

    Task<DeviceRecord> CreateDeviceAsync(long userId, string name, string refreshHash, long now, CancellationToken ct);

    /// <summary>
    /// Replaces the refresh token of a live device and remembers the old one as spent, in one commit (the device's
    /// last <see cref="SpentRefreshTokensKept"/> spent tokens are kept). A hash that is not current answers the
    /// device it was spent by, if it is among those, so reuse can be told from an unknown token.
    /// </summary>
    Task<RefreshRotation> RotateRefreshAsync(string oldHash, string newHash, long now, CancellationToken ct);

    /// <summary>Spent refresh tokens remembered per device (reuse of an older one is refused but not recognised).</summary>
    public const int SpentRefreshTokensKept = 16;

    Task<DeviceRecord?> GetDeviceAsync(long deviceId, CancellationToken ct);

    /// <summary>The ids among <paramref name="deviceIds"/> that are live device sessions (exist, not revoked).</summary>
    Task<IReadOnlyList<long>> LiveDeviceIdsAsync(IReadOnlyCollection<long> deviceIds, CancellationToken ct);

    /// <summary>Marks the device revoked (its refresh token dies with it) and forgets its spent tokens.</summary>
    Task RevokeDeviceAsync(long deviceId, long now, CancellationToken ct);

    Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(long userId, CancellationToken ct);

    /// <summary>Adds <paramref name="contactId"/> to the user's contacts (no-op if present).</summary>
    Task AddContactAsync(long userId, long contactId, long now, CancellationToken ct);

    Task RemoveContactAsync(long userId, long contactId, CancellationToken ct);

    /// <summary>The user's contacts with their stored presence settings, by username.</summary>
    Task<IReadOnlyList<ContactRecord>> ListContactsAsync(long userId, CancellationToken ct);

    /// <summary>
    /// Users who have <paramref name="userId"/> among their contacts and whom it has among its own: mutual contacts,
    /// who see each other's presence. Adding someone alone shows nothing of them.
    /// </summary>
    Task<IReadOnlyList<long>> MutualContactsAsync(long userId, CancellationToken ct);

    Task<PresenceRecord> GetPresenceSettingsAsync(long userId, CancellationToken ct);

    Task SetHideLastSeenAsync(long userId, bool hide, CancellationToken ct);

    /// <summary>Stores last-seen times of many users in one commit.</summary>
    Task SetLastSeenAsync(IReadOnlyCollection<(long UserId, long LastSeenAt)> lastSeen, CancellationToken ct);
}
