using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Fanout;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// Read watermarks: one per member per room, only ever moving forward (written through the room writer, batched
/// like messages). Unread counts are derived from them, never stored. A move is shown live to the member's other
/// devices, and in small rooms to every member (for "unread by N").
/// </summary>
public sealed class ReadReceipts(IRoomWriter writer, IRoomStore rooms, IFanout fanout, IOptions<LimeOptions> options)
{
    public async Task<ReadStateDto> MarkReadAsync(long userId, long roomId, long? seq, CancellationToken ct = default)
    {
        if (seq is not { } upTo || upTo < 0)
        {
            throw LimeException.Validation("seq is required (≥ 0).");
        }

        var result = await writer.WriteAsync(new MarkRead(roomId, userId, upTo), ct);
        long readSeq = result.ReadSeq!.Value;
        if (result.ReadMoved)
        {
            var room = await rooms.GetRoomAsync(roomId, ct);
            byte[] frame = JsonSerializer.SerializeToUtf8Bytes(new ReadFrame(null, roomId, userId, readSeq), SocketJson.Context.ReadFrame);
            bool small = room is not null && room.MemberCount <= options.Value.Rooms.LargeRoomMembers;
            fanout.Signal(new Signal(small ? roomId : null, [userId], frame));
        }

        return new ReadStateDto(roomId, readSeq, await rooms.CountUnreadAsync(roomId, userId, readSeq, ct));
    }

    /// <summary>Who has read up to <paramref name="seq"/> (small rooms only), and how many members have not.</summary>
    public async Task<ReadersResponse> ReadersAsync(long userId, long roomId, long seq, CancellationToken ct = default)
    {
        var room = await rooms.GetRoomAsync(roomId, ct) ?? throw LimeException.NotFound("No such room.");
        _ = await rooms.GetMemberAsync(roomId, userId, ct) ?? throw LimeException.Forbidden("You are not a member of this room.");
        if (room.MemberCount > options.Value.Rooms.LargeRoomMembers)
        {
            throw LimeException.Validation($"Per-member read receipts exist only in rooms of up to {options.Value.Rooms.LargeRoomMembers} members.");
        }

        if (seq < 1 || seq > room.LastSeq)
        {
            throw LimeException.Validation("seq must be an existing event of this room.");
        }

        var events = await rooms.GetEventsAsync(roomId, seq - 1, seq + 1, 1, newestFirst: false, long.MaxValue, ct);
        long author = events.Count == 1 ? events[0].Sender : 0;
        var reads = (await rooms.GetReadsAsync([roomId], ct)).Select(r => r.Read).Where(r => r.User != author).ToList();
        var readBy = reads.Where(r => r.Seq >= seq).ToArray();
        return new ReadersResponse(roomId, seq, readBy, reads.Count - readBy.Length);
    }

    public async Task<BadgeResponse> BadgeAsync(long userId, CancellationToken ct = default) =>
        new(await rooms.TotalUnreadAsync(userId, ct));
}
