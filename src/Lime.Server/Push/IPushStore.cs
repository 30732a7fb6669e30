namespace Lime.Server.Push;

/// <summary>
/// Push targets, notification settings and room mutes, and the one read that decides who may be pushed about a
/// message. Every write is one durable commit. Reads see committed data only.
/// </summary>
public interface IPushStore
{
    /// <summary>Sets the device's target (replacing any previous one); a (kind, token) registered by another device moves here.</summary>
    Task<PushTarget> UpsertTargetAsync(long userId, long deviceId, string kind, string token, string? environment, string? p256dh, string? auth, long now, CancellationToken ct);

    Task<bool> DeleteTargetOfDeviceAsync(long deviceId, CancellationToken ct);

    /// <summary>The user's targets on live (not logged out) devices.</summary>
    Task<IReadOnlyList<PushTarget>> ListTargetsAsync(long userId, CancellationToken ct);

    Task<PushTarget?> GetTargetAsync(long targetId, CancellationToken ct);

    /// <summary>Removes targets a provider reported invalid, with their collapse windows.</summary>
    Task RemoveTargetsAsync(IReadOnlyCollection<long> targetIds, CancellationToken ct);

    Task<PushSettingsRecord> GetSettingsAsync(long userId, CancellationToken ct);

    Task SetSettingsAsync(long userId, PushSettingsRecord settings, CancellationToken ct);

    Task MuteAsync(long userId, long roomId, long? until, CancellationToken ct);

    Task UnmuteAsync(long userId, long roomId, CancellationToken ct);

    /// <summary>The user's mutes still in force at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<RoomMuteRecord>> ListMutesAsync(long userId, long now, CancellationToken ct);

    Task<PushMessage?> GetMessageAsync(long roomId, long seq, CancellationToken ct);

    /// <summary>
    /// For the message entries with these outbox ids (one query for a whole batch): each message that has candidates,
    /// with one row per target of every member who may be pushed about it — not the sender, not yet read past it,
    /// level not 'none', room not muted at <paramref name="now"/> (unless the message mentions them by id), device not
    /// logged out; each says whether the message mentions them. Connection state, quiet hours and the mentions-only
    /// rule are the caller's to check.
    /// </summary>
    Task<IReadOnlyList<MessageRecipients>> RecipientsAsync(IReadOnlyCollection<long> outboxIds, long now, CancellationToken ct);

    /// <summary>
    /// Each user's unread messages over all rooms (the badge), for many users in one query — the same count as
    /// <see cref="Storage.IRoomStore.TotalUnreadAsync"/>. Users without rooms are absent (0).
    /// </summary>
    Task<IReadOnlyDictionary<long, long>> UnreadTotalsAsync(IReadOnlyCollection<long> userIds, CancellationToken ct);
}
