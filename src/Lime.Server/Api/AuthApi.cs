using System.Security.Claims;
using Lime.Protocol;
using Lime.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lime.Server.Api;

/// <summary>/api/auth: register, login, refresh, logout.</summary>
public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/auth").WithTags("Auth");
        // Throttled per client address here and per account in AccountService (Auth/AuthThrottle.cs): 429 rate_limited.
        api.MapPost("/register", RegisterAsync).AllowAnonymous().RequireRateLimiting(AuthThrottle.Register).ProducesLimeProblems(400, 409, 429, 503);
        api.MapPost("/login", LoginAsync).AllowAnonymous().RequireRateLimiting(AuthThrottle.Login).ProducesLimeProblems(400, 401, 429, 503);
        api.MapPost("/refresh", RefreshAsync).AllowAnonymous().RequireRateLimiting(AuthThrottle.Refresh).ProducesLimeProblems(400, 401, 429);
        api.MapPost("/logout", LogoutAsync).RequireAuthorization().ProducesLimeProblems(401);
        return app;
    }

    private static async Task<Created<TokenResponse>> RegisterAsync(RegisterRequest request, AccountService accounts, CancellationToken ct)
    {
        var tokens = await accounts.RegisterAsync(request, ct);
        return TypedResults.Created($"/api/users/{tokens.User.Id}", tokens);
    }

    private static async Task<Ok<TokenResponse>> LoginAsync(LoginRequest request, AccountService accounts, CancellationToken ct) =>
        TypedResults.Ok(await accounts.LoginAsync(request, ct));

    private static async Task<Ok<TokenResponse>> RefreshAsync(RefreshRequest request, AccountService accounts, CancellationToken ct) =>
        TypedResults.Ok(await accounts.RefreshAsync(request, ct));

    private static async Task<NoContent> LogoutAsync(ClaimsPrincipal user, AccountService accounts, CancellationToken ct)
    {
        await accounts.LogoutAsync(user.DeviceId(), ct);
        return TypedResults.NoContent();
    }
}
