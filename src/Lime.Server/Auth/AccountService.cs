using System.Text.RegularExpressions;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Realtime;
using Lime.Server.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Lime.Server.Auth;

/// <summary>Registration, login (one device session per login), token refresh with rotation, logout, profiles.</summary>
public sealed partial class AccountService(
    IAccountStore accounts,
    TokenService tokens,
    DeviceSessions sessions,
    ConnectionRegistry connections,
    IPasswordHasher<UserRecord> hasher,
    TimeProvider time)
{
    private const int MinPassword = 8;
    private const int MaxPassword = 128;
    private const int MaxDisplayName = 64;

    [GeneratedRegex("^[a-z0-9_.-]{3,32}$")]
    private static partial Regex UsernamePattern();

    public async Task<TokenResponse> RegisterAsync(RegisterRequest request, CancellationToken ct)
    {
        string username = (request.Username ?? "").Trim().ToLowerInvariant();
        if (!UsernamePattern().IsMatch(username))
        {
            throw LimeException.Validation("username must be 3-32 characters of a-z, 0-9, '_', '.', '-'.");
        }

        if (request.Password is null || request.Password.Length < MinPassword || request.Password.Length > MaxPassword)
        {
            throw LimeException.Validation($"password must be {MinPassword}-{MaxPassword} characters.");
        }

        string displayName = ValidDisplayName(request.DisplayName ?? username);
        string hash = hasher.HashPassword(null!, request.Password);
        var user = await accounts.CreateUserAsync(username, displayName, hash, Now(), ct)
            ?? throw LimeException.Conflict("That username is taken.");
        return await StartSessionAsync(user, request.DeviceName, ct);
    }

    public async Task<TokenResponse> LoginAsync(LoginRequest request, CancellationToken ct)
    {
        string username = (request.Username ?? "").Trim().ToLowerInvariant();
        var user = await accounts.FindUserByNameAsync(username, ct);
        if (user is null || request.Password is null
            || hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password) == PasswordVerificationResult.Failed)
        {
            throw new LimeException(ErrorCodes.Unauthenticated, "Wrong username or password.");
        }

        return await StartSessionAsync(user, request.DeviceName, ct);
    }

    /// <summary>Exchanges a refresh token for new tokens; the old refresh token stops working (rotation).</summary>
    public async Task<TokenResponse> RefreshAsync(RefreshRequest request, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.RefreshToken))
        {
            throw LimeException.Validation("refresh_token is required.");
        }

        var (token, hash) = TokenService.CreateRefreshToken();
        var device = await accounts.RotateRefreshAsync(TokenService.HashRefreshToken(request.RefreshToken), hash, Now(), ct)
            ?? throw new LimeException(ErrorCodes.Unauthenticated, "The refresh token is invalid, already used, or its device was logged out.");
        var user = await accounts.GetUserAsync(device.UserId, ct) ?? throw new LimeException(ErrorCodes.Unauthenticated, "No such user.");
        return new TokenResponse(tokens.CreateAccessToken(user.Id, device.Id), token, tokens.AccessTokenSeconds, device.Id, ToDto(user));
    }

    /// <summary>Revokes the device session: its tokens stop working and its sockets are closed.</summary>
    public async Task LogoutAsync(long deviceId, CancellationToken ct)
    {
        await accounts.RevokeDeviceAsync(deviceId, Now(), ct);
        sessions.MarkRevoked(deviceId);
        foreach (var connection in connections.OfDevice(deviceId))
        {
            connection.Close(CloseCodes.SessionRevoked, "logged_out", TimeSpan.FromSeconds(2));
        }
    }

    public async Task<UserDto> GetUserAsync(long userId, CancellationToken ct) =>
        ToDto(await accounts.GetUserAsync(userId, ct) ?? throw LimeException.NotFound("No such user."));

    public async Task<UserDto> FindByUsernameAsync(string username, CancellationToken ct) =>
        ToDto(await accounts.FindUserByNameAsync(username.Trim().ToLowerInvariant(), ct) ?? throw LimeException.NotFound("No such user."));

    public async Task<UserDto> UpdateProfileAsync(long userId, UpdateProfileRequest request, CancellationToken ct)
    {
        if (request.DisplayName is not null)
        {
            await accounts.UpdateDisplayNameAsync(userId, ValidDisplayName(request.DisplayName), ct);
        }

        return await GetUserAsync(userId, ct);
    }

    public async Task<DeviceDto[]> ListDevicesAsync(long userId, long currentDeviceId, CancellationToken ct) =>
        (await accounts.ListDevicesAsync(userId, ct)).Select(d => new DeviceDto(d.Id, d.Name, d.CreatedAt, d.LastSeenAt, d.Id == currentDeviceId)).ToArray();

    public static UserDto ToDto(UserRecord u) => new(u.Id, u.Username, u.DisplayName, u.CreatedAt);

    private async Task<TokenResponse> StartSessionAsync(UserRecord user, string? deviceName, CancellationToken ct)
    {
        var (token, hash) = TokenService.CreateRefreshToken();
        string name = string.IsNullOrWhiteSpace(deviceName) ? "unnamed device" : CutDeviceName(deviceName.Trim());
        var device = await accounts.CreateDeviceAsync(user.Id, name, hash, Now(), ct);
        return new TokenResponse(tokens.CreateAccessToken(user.Id, device.Id), token, tokens.AccessTokenSeconds, device.Id, ToDto(user));
    }

    /// <summary>At most 64 UTF-16 units, never ending in half of a surrogate pair (stored, that half would become U+FFFD).</summary>
    private static string CutDeviceName(string name)
    {
        const int max = 64;
        if (name.Length <= max)
        {
            return name;
        }

        return name[..(char.IsHighSurrogate(name[max - 1]) ? max - 1 : max)];
    }

    private static string ValidDisplayName(string name)
    {
        name = name.Trim();
        return name.Length is >= 1 and <= MaxDisplayName
            ? name
            : throw LimeException.Validation($"display_name must be 1-{MaxDisplayName} characters.");
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
