using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>/api/rooms and /api/channels: rooms, membership, messages and history. Every route checks membership.</summary>
public static class RoomsApi
{
    public static IEndpointRouteBuilder MapRoomsApi(this IEndpointRouteBuilder app)
    {
        var rooms = app.MapGroup("/api/rooms").WithTags("Rooms").RequireAuthorization();
        rooms.MapGet("/", ListRoomsAsync).ProducesLimeProblems(400, 401);
        rooms.MapPost("/", CreateRoomAsync).ProducesLimeProblems(400, 401, 404);
        rooms.MapPost("/direct", CreateDirectAsync).ProducesLimeProblems(400, 401, 404);
        rooms.MapGet("/{id:long}", GetRoomAsync).ProducesLimeProblems(401, 403, 404);
        rooms.MapPost("/{id:long}/join", JoinAsync).ProducesLimeProblems(401, 403, 404);
        rooms.MapPost("/{id:long}/leave", LeaveAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapGet("/{id:long}/members", ListMembersAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapPost("/{id:long}/members", AddMembersAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapDelete("/{id:long}/members/{userId:long}", RemoveMemberAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapPut("/{id:long}/members/{userId:long}/role", SetRoleAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapPost("/{id:long}/messages", SendAsync).ProducesLimeProblems(400, 401, 403, 404, 413, 429);
        rooms.MapGet("/{id:long}/events", HistoryAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapGet("/{id:long}/events/around/{seq:long}", AroundAsync).ProducesLimeProblems(400, 401, 403, 404);

        rooms.MapPost("/{id:long}/read", MarkReadAsync).ProducesLimeProblems(400, 401, 403, 404);
        rooms.MapGet("/{id:long}/events/{seq:long}/readers", ReadersAsync).ProducesLimeProblems(400, 401, 403, 404);
        app.MapPost("/api/sync", SyncAsync).WithTags("Rooms").RequireAuthorization().ProducesLimeProblems(400, 401);
        app.MapGet("/api/me/unread", BadgeAsync).WithTags("Rooms").RequireAuthorization().ProducesLimeProblems(401);
        app.MapGet("/api/me/mentions", ListMentionsAsync).WithTags("Rooms").RequireAuthorization().ProducesLimeProblems(400, 401);

        app.MapGet("/api/channels", SearchChannelsAsync).WithTags("Rooms").RequireAuthorization().ProducesLimeProblems(400, 401);
        return app;
    }

    private static async Task<Ok<RoomListResponse>> ListRoomsAsync(ClaimsPrincipal user, ChatService chat, string? cursor, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await chat.ListRoomsAsync(user.UserId(), cursor, limit, ct));

    private static async Task<Created<RoomDto>> CreateRoomAsync(CreateRoomRequest request, ClaimsPrincipal user, ChatService chat, CancellationToken ct)
    {
        var room = await chat.CreateRoomAsync(user.UserId(), request, ct);
        return TypedResults.Created($"/api/rooms/{room.Id}", room);
    }

    private static async Task<Results<Created<RoomDto>, Ok<RoomDto>>> CreateDirectAsync(CreateDirectRequest request, ClaimsPrincipal user, ChatService chat, CancellationToken ct)
    {
        var (room, created) = await chat.CreateDirectAsync(user.UserId(), request.UserId, ct);
        return created ? TypedResults.Created($"/api/rooms/{room.Id}", room) : TypedResults.Ok(room);
    }

    private static async Task<Ok<RoomDto>> GetRoomAsync(long id, ClaimsPrincipal user, ChatService chat, CancellationToken ct) =>
        TypedResults.Ok(await chat.GetRoomAsync(user.UserId(), id, ct));

    /// <summary>200 with the room once joined; 202 with <c>pending</c> when the channel requires approval.</summary>
    private static async Task<Results<Ok<RoomDto>, Accepted<JoinResultDto>>> JoinAsync(long id, ClaimsPrincipal user, ChatService chat, CancellationToken ct)
    {
        var result = await chat.JoinAsync(user.UserId(), id, ct);
        return result.Room is { } room ? TypedResults.Ok(room) : TypedResults.Accepted((string?)null, result);
    }

    private static async Task<NoContent> LeaveAsync(long id, ClaimsPrincipal user, ChatService chat, CancellationToken ct)
    {
        await chat.LeaveAsync(user.UserId(), id, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<MemberListResponse>> ListMembersAsync(long id, ClaimsPrincipal user, ChatService chat, string? cursor, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await chat.ListMembersAsync(user.UserId(), id, cursor, limit, ct));

    private static async Task<NoContent> AddMembersAsync(long id, AddMembersRequest request, ClaimsPrincipal user, ChatService chat, CancellationToken ct)
    {
        await chat.AddMembersAsync(user.UserId(), id, request.UserIds, ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> RemoveMemberAsync(long id, long userId, ClaimsPrincipal user, ChatService chat, CancellationToken ct)
    {
        await chat.RemoveMemberAsync(user.UserId(), id, userId, ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> SetRoleAsync(long id, long userId, SetRoleRequest request, ClaimsPrincipal user, ChatService chat, CancellationToken ct)
    {
        await chat.SetRoleAsync(user.UserId(), id, userId, request.Role, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Created<AckDto>, Ok<AckDto>>> SendAsync(long id, SendMessageRequest request, ClaimsPrincipal user, ChatService chat)
    {
        // Not cancelled with the request: once queued the message may commit, and a retry resolves the outcome.
        var ack = await chat.SendAsync(user.UserId(), id, request.ClientMsgId, request.Text, request.ReplyTo, request.Mentions, request.MentionRoom, request.Attachments);
        return ack.Duplicate ? TypedResults.Ok(ack) : TypedResults.Created($"/api/rooms/{id}/events/around/{ack.Seq}", ack);
    }

    private static async Task<Ok<HistoryPage>> HistoryAsync(long id, ClaimsPrincipal user, ChatService chat, long? before, long? after, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await chat.GetHistoryAsync(user.UserId(), id, before, after, null, limit, ct));

    private static async Task<Ok<HistoryPage>> AroundAsync(long id, long seq, ClaimsPrincipal user, ChatService chat, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await chat.GetHistoryAsync(user.UserId(), id, null, null, seq, limit, ct));

    private static async Task<Ok<ReadStateDto>> MarkReadAsync(long id, MarkReadRequest request, ClaimsPrincipal user, ReadReceipts receipts, CancellationToken ct) =>
        TypedResults.Ok(await receipts.MarkReadAsync(user.UserId(), id, request.Seq, ct));

    private static async Task<Ok<ReadersResponse>> ReadersAsync(long id, long seq, ClaimsPrincipal user, ReadReceipts receipts, CancellationToken ct) =>
        TypedResults.Ok(await receipts.ReadersAsync(user.UserId(), id, seq, ct));

    private static async Task<Ok<SyncResponse>> SyncAsync(SyncRequest request, ClaimsPrincipal user, SyncService sync, CancellationToken ct) =>
        TypedResults.Ok(await sync.SyncAsync(user.UserId(), request.Cursors, request.LimitPerRoom, ct));

    private static async Task<Ok<BadgeResponse>> BadgeAsync(ClaimsPrincipal user, ReadReceipts receipts, CancellationToken ct) =>
        TypedResults.Ok(await receipts.BadgeAsync(user.UserId(), ct));

    private static async Task<Ok<MentionListResponse>> ListMentionsAsync(ClaimsPrincipal user, ChatService chat, string? cursor, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await chat.ListMentionsAsync(user.UserId(), cursor, limit, ct));

    private static async Task<Ok<ChannelListResponse>> SearchChannelsAsync(ClaimsPrincipal user, ChatService chat, string? q, string? cursor, int? limit, CancellationToken ct) =>
        TypedResults.Ok(await chat.SearchChannelsAsync(user.UserId(), q, cursor, limit, ct));
}
