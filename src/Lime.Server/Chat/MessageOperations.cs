using System.Text;
using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Fanout;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Chat;

/// <summary>
/// What members do to messages after sending them — edit, delete for everyone, react, pin, hide for me — for REST and
/// socket alike: validates the request, then writes it through the one <see cref="IRoomWriter"/>, which checks it
/// against the room and message at commit and publishes its event. Nothing is written for a refused request.
/// </summary>
public sealed class MessageOperations(IRoomWriter writer, IFanout fanout, SendBudget budget, IOptions<LimeOptions> options)
{
    private const int MaxClientMsgIdLength = 64;
    private readonly MessageOptions _messages = options.Value.Messages;
    private readonly LimitOptions _limits = options.Value.Limits;

    public Task<OperationAckDto> EditAsync(long userId, long roomId, long seq, string? text, string? clientMsgId, CancellationToken ct = default)
    {
        Check(seq, clientMsgId);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw LimeException.Validation("text is required and must not be blank.");
        }

        int bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > _limits.MaxTextBytes)
        {
            throw new LimeException(ErrorCodes.MessageTooLarge, $"text is {bytes} UTF-8 bytes; the limit is {_limits.MaxTextBytes}.");
        }

        budget.Spend(userId);
        return WriteAsync(new EditMessage(roomId, userId, clientMsgId, seq, text, _messages.EditWindowSeconds * 1000L), ct);
    }

    public Task<OperationAckDto> DeleteAsync(long userId, long roomId, long seq, string? clientMsgId, CancellationToken ct = default)
    {
        Check(seq, clientMsgId);
        budget.Spend(userId);
        return WriteAsync(new DeleteMessage(roomId, userId, clientMsgId, seq, _messages.DeleteWindowSeconds * 1000L), ct);
    }

    public Task<OperationAckDto> ReactAsync(long userId, long roomId, long seq, string? emoji, bool add, string? clientMsgId, CancellationToken ct = default)
    {
        Check(seq, clientMsgId);
        if (!Emoji.IsSingle(emoji))
        {
            throw LimeException.Validation("emoji must be exactly one emoji (one grapheme cluster; see docs/protocol.md).");
        }

        budget.Spend(userId);
        return WriteAsync(new SetReaction(roomId, userId, clientMsgId, seq, emoji!, add, _messages.MaxReactionsPerMessage), ct);
    }

    public Task<OperationAckDto> PinAsync(long userId, long roomId, long seq, bool pin, string? clientMsgId, CancellationToken ct = default)
    {
        Check(seq, clientMsgId);
        budget.Spend(userId);
        return WriteAsync(new SetPin(roomId, userId, clientMsgId, seq, pin, _messages.MaxPinsPerRoom), ct);
    }

    /// <summary>Hides a message for this user on every device: stored privately, announced to the user's own connections.</summary>
    public async Task<bool> HideAsync(long userId, long roomId, long seq, CancellationToken ct = default)
    {
        Check(seq, null);
        var result = await writer.WriteAsync(new HideMessage(roomId, userId, seq), ct);
        byte[] frame = JsonSerializer.SerializeToUtf8Bytes(new HiddenFrame(null, roomId, seq), SocketJson.Context.HiddenFrame);
        fanout.Signal(new Signal(null, [userId], frame));
        return result.Changed;
    }

    private async Task<OperationAckDto> WriteAsync(RoomOperation write, CancellationToken ct)
    {
        var result = await writer.WriteAsync(write, ct);
        return result.Ack is { } ack
            ? new OperationAckDto(write.RoomId, true, ack.Duplicate, ack.Id, ack.Seq, ack.Ts, write.ClientMsgId)
            : new OperationAckDto(write.RoomId, false, false, ClientMsgId: write.ClientMsgId);
    }

    private static void Check(long seq, string? clientMsgId)
    {
        if (seq < 1)
        {
            throw LimeException.Validation("seq must be the seq of a message (≥ 1).");
        }

        if (clientMsgId is { Length: 0 or > MaxClientMsgIdLength })
        {
            throw LimeException.Validation($"client_msg_id, when given, is 1-{MaxClientMsgIdLength} characters.");
        }
    }
}
