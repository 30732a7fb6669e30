using System.Collections.Concurrent;
using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Fanout;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// Typing indicators: ephemeral (never stored), at most one per user per room per throttle window, expiring on the
/// client after <c>expires_in_ms</c>, and not sent at all in large rooms.
/// </summary>
public sealed class TypingService(IRoomStore rooms, IFanout fanout, IOptions<LimeOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(long User, long Room), long> _last = new();

    /// <summary>Returns whether a typing frame went out (false when throttled or the room is large).</summary>
    public async Task<bool> TypingAsync(long userId, long roomId, CancellationToken ct = default)
    {
        var settings = options.Value.Rooms;
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();

        // Claim the window before the first await: a connection's frames run concurrently, so two typing frames sent
        // together both passed a check-then-set across the room lookups (seen on PostgreSQL, where those awaits yield).
        if (!TryClaim((userId, roomId), now, settings.TypingThrottleMs))
        {
            return false;
        }

        var room = await rooms.GetRoomAsync(roomId, ct) ?? throw LimeException.NotFound("No such room.");
        _ = await rooms.GetMemberAsync(roomId, userId, ct) ?? throw LimeException.Forbidden("You are not a member of this room.");
        if (room.MemberCount > settings.LargeRoomMembers)
        {
            return false;
        }

        if (_last.Count > 100_000)
        {
            foreach (var stale in _last.Where(p => now - p.Value > settings.TypingThrottleMs).Select(p => p.Key).ToList())
            {
                _last.TryRemove(stale, out _);
            }
        }

        byte[] frame = JsonSerializer.SerializeToUtf8Bytes(new TypingFrame(roomId, userId, settings.TypingExpiresMs), SocketJson.Context.TypingFrame);
        fanout.Signal(new Signal(roomId, null, frame));
        return true;
    }

    /// <summary>Atomically takes the throttle window of (user, room) at <paramref name="now"/>, unless one is running.</summary>
    private bool TryClaim((long User, long Room) key, long now, int throttleMs)
    {
        while (true)
        {
            if (_last.TryGetValue(key, out long last))
            {
                if (now - last < throttleMs)
                {
                    return false;
                }

                if (_last.TryUpdate(key, now, last))
                {
                    return true;
                }
            }
            else if (_last.TryAdd(key, now))
            {
                return true;
            }
        }
    }
}
