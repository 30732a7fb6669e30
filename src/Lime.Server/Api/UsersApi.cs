using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>/api/me and /api/users: profiles, devices, lookup by username.</summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me").WithTags("Users").RequireAuthorization();
        me.MapGet("/", GetMeAsync).ProducesLimeProblems(401);
        me.MapPatch("/", UpdateMeAsync).ProducesLimeProblems(400, 401);
        me.MapGet("/devices", ListDevicesAsync).ProducesLimeProblems(401);

        var users = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization();
        users.MapGet("/{id:long}", GetUserAsync).ProducesLimeProblems(401, 404);
        users.MapGet("/by-username/{username}", FindByUsernameAsync).ProducesLimeProblems(401, 404);
        return app;
    }

    private static async Task<Ok<UserDto>> GetMeAsync(ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
        TypedResults.Ok(await accounts.GetUserAsync(user.UserId(), ct));

    private static async Task<Ok<UserDto>> UpdateMeAsync(UpdateProfileRequest request, ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
        TypedResults.Ok(await accounts.UpdateProfileAsync(user.UserId(), request, ct));

    private static async Task<Ok<DeviceDto[]>> ListDevicesAsync(ClaimsPrincipal user, AccountService accounts, CancellationToken ct) =>
        TypedResults.Ok(await accounts.ListDevicesAsync(user.UserId(), user.DeviceId(), ct));

    private static async Task<Ok<UserDto>> GetUserAsync(long id, AccountService accounts, CancellationToken ct) =>
        TypedResults.Ok(await accounts.GetUserAsync(id, ct));

    private static async Task<Ok<UserDto>> FindByUsernameAsync(string username, AccountService accounts, CancellationToken ct) =>
        TypedResults.Ok(await accounts.FindByUsernameAsync(username, ct));
}
