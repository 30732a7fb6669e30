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
        if (_last.TryGetValue((userId, roomId), out long last) && now - last < settings.TypingThrottleMs)
        {
            return false;
        }

        var room = await rooms.GetRoomAsync(roomId, ct) ?? throw LimeException.NotFound("No such room.");
        _ = await rooms.GetMemberAsync(roomId, userId, ct) ?? throw LimeException.Forbidden("You are not a member of this room.");
        if (room.MemberCount > settings.LargeRoomMembers)
        {
            return false;
        }

        _last[(userId, roomId)] = now;
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
}
