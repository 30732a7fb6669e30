using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Lime.Server.Presence;
using Lime.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>/api/contacts: the contact list (the audience of presence and the start of direct chats); /api/me/privacy.</summary>
public static class ContactsApi
{
    public static IEndpointRouteBuilder MapContactsApi(this IEndpointRouteBuilder app)
    {
        var contacts = app.MapGroup("/api/contacts").WithTags("Contacts").RequireAuthorization();
        contacts.MapGet("/", ListAsync).ProducesLimeProblems(401);
        contacts.MapPost("/", AddAsync).ProducesLimeProblems(400, 401, 404);
        contacts.MapDelete("/{userId:long}", RemoveAsync).ProducesLimeProblems(401);
        app.MapGet("/api/users/{userId:long}/presence", PresenceAsync).WithTags("Contacts").RequireAuthorization().ProducesLimeProblems(401, 403, 404);
        app.MapPut("/api/me/privacy", SetPrivacyAsync).WithTags("Users").RequireAuthorization().ProducesLimeProblems(400, 401);
        return app;
    }

    /// <summary>The contact list. Presence is shown only for mutual contacts not blocked either way (docs/protocol.md §11).</summary>
    private static async Task<Ok<ContactDto[]>> ListAsync(ClaimsPrincipal user, IAccountStore accounts, IModerationStore moderation, PresenceService presence, CancellationToken ct)
    {
        long me = user.UserId();
        var rows = await accounts.ListContactsAsync(me, ct);
        var mutual = (await accounts.MutualContactsAsync(me, ct)).ToHashSet();
        mutual.ExceptWith(await moderation.BlockedPeersAsync(me, ct));
        bool[] online = await presence.AreOnlineAsync([.. rows.Select(c => c.UserId)], ct);
        return TypedResults.Ok(rows.Select((c, i) => mutual.Contains(c.UserId)
            ? new ContactDto(c.UserId, c.Username, c.DisplayName, online[i], c.HideLastSeen ? null : c.LastSeenAt, Mutual: true)
            : new ContactDto(c.UserId, c.Username, c.DisplayName, false, null)).ToArray());
    }

    private static async Task<NoContent> AddAsync(AddContactRequest request, ClaimsPrincipal user, IAccountStore accounts, TimeProvider time, CancellationToken ct)
    {
        long me = user.UserId();
        if (request.UserId <= 0 || request.UserId == me)
        {
            throw LimeException.Validation("user_id must be another user.");
        }

        if ((await accounts.ExistingUserIdsAsync([request.UserId], ct)).Count == 0)
        {
            throw LimeException.NotFound("No such user.");
        }

        await accounts.AddContactAsync(me, request.UserId, time.GetUtcNow().ToUnixTimeMilliseconds(), ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> RemoveAsync(long userId, ClaimsPrincipal user, IAccountStore accounts, CancellationToken ct)
    {
        await accounts.RemoveContactAsync(user.UserId(), userId, ct);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The current presence of a user the caller may watch: a mutual contact, or someone sharing a small room, unless
    /// either blocked the other (the same audience that receives presence changes live).
    /// </summary>
    private static async Task<Ok<PresenceDto>> PresenceAsync(long userId, ClaimsPrincipal user, IAccountStore accounts, IRoomStore rooms, IModerationStore moderation,
        PresenceService presence, Microsoft.Extensions.Options.IOptions<LimeOptions> options, CancellationToken ct)
    {
        long me = user.UserId();
        if ((await accounts.ExistingUserIdsAsync([userId], ct)).Count == 0)
        {
            throw LimeException.NotFound("No such user.");
        }

        bool mayWatch = userId == me
            || (!await moderation.BlockedEitherWayAsync(me, userId, ct)
                && ((await accounts.MutualContactsAsync(userId, ct)).Contains(me)
                    || (await rooms.SmallRoomMatesAsync(userId, options.Value.Rooms.LargeRoomMembers, ct)).Contains(me)));
        if (!mayWatch)
        {
            throw LimeException.Forbidden("Presence is shown to mutual contacts and members of shared small rooms only (never across a block).");
        }

        var settings = await accounts.GetPresenceSettingsAsync(userId, ct);
        bool online = (await presence.AreOnlineAsync([userId], ct))[0];
        return TypedResults.Ok(new PresenceDto(userId, online, settings.HideLastSeen && userId != me ? null : settings.LastSeenAt));
    }

    private static async Task<NoContent> SetPrivacyAsync(PrivacyRequest request, ClaimsPrincipal user, IAccountStore accounts, CancellationToken ct)
    {
        await accounts.SetHideLastSeenAsync(user.UserId(), request.HideLastSeen, ct);
        return TypedResults.NoContent();
    }
}
