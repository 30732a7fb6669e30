using System.Security.Cryptography;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Admin;

/// <summary>
/// Deletes an account (DELETE /api/me with the password, or DELETE /api/admin/users/{id}), as docs/operations.md
/// "Account deletion" says: every device logged out (sockets closed); the user leaves every group and channel by
/// today's leave rules (member_left through the room writer; an owner's ownership passes to the longest-standing admin,
/// else member); every message they sent is deleted for everyone (message_deleted events, in batches); then the
/// profile is anonymised and what concerned only them removed (<see cref="AdminStore.AnonymiseAsync"/>). Direct rooms
/// cannot be left: they stay, with the other person, under the anonymised name. Repeating a deletion that stopped
/// half-way finishes it.
/// </summary>
public sealed class AccountDeletion(
    AdminStore store,
    AccountService accounts,
    ChatService chat,
    IRoomStore rooms,
    IRoomWriter writer,
    PasswordHashing passwords,
    IOptions<LimeOptions> options,
    TimeProvider time,
    ILogger<AccountDeletion> log)
{
    public async Task DeleteOwnAsync(long userId, DeleteAccountRequest? request, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request?.Password))
        {
            throw LimeException.Validation("password is required to delete the account.");
        }

        await accounts.CheckPasswordAsync(userId, request.Password, ct);
        await DeleteAsync(userId, ct);
    }

    public async Task DeleteByAdminAsync(long adminId, long userId, CancellationToken ct)
    {
        _ = adminId;
        var user = await store.GetUserAsync(userId, ct) ?? throw LimeException.NotFound("No such user.");
        if (user.Deleted)
        {
            throw LimeException.NotFound("No such user (already deleted).");
        }

        await DeleteAsync(userId, ct);
    }

    private async Task DeleteAsync(long userId, CancellationToken ct)
    {
        // First: no device of theirs can act while the rest happens, and a disabled account cannot log in again.
        await store.SetDisabledAsync(userId, time.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        await accounts.RevokeAllDevicesAsync(userId, "account_deleted", ct);

        foreach (long roomId in await rooms.RoomIdsOfUserAsync(userId, ct))
        {
            var room = await rooms.GetRoomAsync(roomId, ct);
            if (room is { Kind: not RoomKinds.Direct })
            {
                try
                {
                    await chat.LeaveAsync(userId, roomId, ct);
                }
                catch (LimeException e) when (e.Code is ErrorCodes.NotFound or ErrorCodes.Forbidden)
                {
                    // Deleted or left meanwhile.
                }
            }
        }

        int batch = options.Value.Retention.BatchSize;
        foreach (long roomId in await store.RoomsWithMessagesOfAsync(userId, ct))
        {
            try
            {
                while ((await writer.WriteAsync(new EraseUserMessages(roomId, userId, batch), ct)).Changed)
                {
                }
            }
            catch (LimeException e) when (e.Code == ErrorCodes.NotFound)
            {
                // A deleted room: nobody can read it; its events are not served.
            }
        }

        string unusable = await passwords.HashAsync(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ct);
        await store.AnonymiseAsync(userId, unusable, time.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        AdminLog.AccountDeleted(log, userId);
    }
}
