using System.Text.RegularExpressions;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Realtime;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Auth;

/// <summary>
/// Registration, login (one device session per login, at most <c>Lime:Auth:MaxDevicesPerUser</c> live), token refresh
/// with rotation, logout, profiles. Password checks are throttled per account (<see cref="AuthThrottle"/>; per
/// address by the middleware) and bounded in concurrency (<see cref="PasswordHashing"/>).
/// </summary>
public sealed partial class AccountService(
    IAccountStore accounts,
    TokenService tokens,
    SessionRevocation revocation,
    IRevocationRelay relay,
    PasswordHashing passwords,
    AuthThrottle throttle,
    IOptions<LimeOptions> options,
    TimeProvider time)
{
    private readonly int _maxDevices = options.Value.Auth.MaxDevicesPerUser;
    private readonly long _reuseGraceMs = options.Value.Auth.RefreshReuseGraceSeconds * 1000L;

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
        string account = "register " + username;
        throttle.Check(account);
        string hash = await passwords.HashAsync(request.Password, ct);
        var user = await accounts.CreateUserAsync(username, displayName, hash, Now(), ct);
        if (user is null)
        {
            throttle.Fail(account);
            throw LimeException.Conflict("That username is taken.");
        }

        return await StartSessionAsync(user, request.DeviceName, ct);
    }

    public async Task<TokenResponse> LoginAsync(LoginRequest request, CancellationToken ct)
    {
        string username = (request.Username ?? "").Trim().ToLowerInvariant();
        string account = "login " + username;
        throttle.Check(account);
        var user = await accounts.FindUserByNameAsync(username, ct);
        // An unknown username is verified against a dummy hash: it costs and takes what a wrong password does.
        if (!await passwords.VerifyAsync(user, request.Password, ct) || user is null)
        {
            throttle.Fail(account);
            throw new LimeException(ErrorCodes.Unauthenticated, "Wrong username or password.");
        }

        RefuseDisabled(user);
        return await StartSessionAsync(user, request.DeviceName, ct);
    }

    /// <summary>Exchanges a refresh token for new tokens; the old refresh token stops working (rotation).</summary>
    public async Task<TokenResponse> RefreshAsync(RefreshRequest request, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.RefreshToken))
        {
            throw LimeException.Validation("refresh_token is required.");
        }

        string presented = TokenService.HashRefreshToken(request.RefreshToken);
        throttle.Spend("refresh " + presented);
        var (token, hash) = TokenService.CreateRefreshToken();
        var rotation = await accounts.RotateRefreshAsync(presented, hash, Now(), ct);
        // A spent token again: the owner and someone else both hold the device's tokens, and there is no telling which
        // one is the thief. End the whole family (the device): both must log in again. Except moments after it was
        // spent (RefreshReuseGraceSeconds): two tabs of one browser sharing a session may refresh at the same time.
        if (rotation.ReusedBy is { } reused && Now() - rotation.SpentAt >= _reuseGraceMs)
        {
            await RevokeAsync(reused, "refresh_reused", ct);
            throw new LimeException(ErrorCodes.Unauthenticated, "The refresh token was already used; its device has been logged out.");
        }

        var device = rotation.Device
            ?? throw new LimeException(ErrorCodes.Unauthenticated, "The refresh token is invalid, already used, or its device was logged out.");
        var user = await accounts.GetUserAsync(device.UserId, ct) ?? throw new LimeException(ErrorCodes.Unauthenticated, "No such user.");
        RefuseDisabled(user);
        return new TokenResponse(tokens.CreateAccessToken(user.Id, device.Id), token, tokens.AccessTokenSeconds, device.Id, ToDto(user));
    }

    /// <summary>Revokes the device session: its tokens stop working and its sockets are closed.</summary>
    public Task LogoutAsync(long deviceId, CancellationToken ct) => RevokeAsync(deviceId, "logged_out", ct);

    /// <summary>
    /// Ends a device session everywhere: stored as revoked, then refused on this node at once and its sockets here
    /// closed with 4001 <paramref name="reason"/>, and published to every other node (<see cref="IRevocationRelay"/>),
    /// which do the same within 1 s. The one path for logout, device limit, refresh reuse and administrators.
    /// </summary>
    public async Task RevokeAsync(long deviceId, string reason, CancellationToken ct)
    {
        await accounts.RevokeDeviceAsync(deviceId, Now(), ct);
        revocation.ApplyHere(deviceId, reason);
        relay.Publish(deviceId, reason);
    }

    /// <summary>Logs out every live device of the user (an administrator's logout or disable); returns how many.</summary>
    public async Task<int> RevokeAllDevicesAsync(long userId, string reason, CancellationToken ct)
    {
        var live = await accounts.ListDevicesAsync(userId, ct);
        foreach (var device in live)
        {
            await RevokeAsync(device.Id, reason, ct);
        }

        return live.Count;
    }

    /// <summary>Logs out one of the user's own devices (a lost phone): not found unless it is theirs and live.</summary>
    public async Task RevokeOwnDeviceAsync(long userId, long deviceId, CancellationToken ct)
    {
        if (await accounts.GetDeviceAsync(deviceId, ct) is not { RevokedAt: null } device || device.UserId != userId)
        {
            throw LimeException.NotFound("No such device.");
        }

        await RevokeAsync(deviceId, "logged_out", ct);
    }

    /// <summary>The password of the signed-in user, checked again (account deletion); throttled like a login. Wrong: 403 forbidden.</summary>
    public async Task CheckPasswordAsync(long userId, string password, CancellationToken ct)
    {
        var user = await accounts.GetUserAsync(userId, ct) ?? throw LimeException.NotFound("No such user.");
        string account = "login " + user.Username;
        throttle.Check(account);
        if (!await passwords.VerifyAsync(user, password, ct))
        {
            throttle.Fail(account);
            throw LimeException.Forbidden("The password is wrong.");
        }
    }

    private static void RefuseDisabled(UserRecord user)
    {
        if (user.DisabledAt is not null)
        {
            throw new LimeException(ErrorCodes.AccountDisabled, "This account was disabled by an administrator.");
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
        await RevokeIdlestDevicesAsync(user.Id, device.Id, ct);
        return new TokenResponse(tokens.CreateAccessToken(user.Id, device.Id), token, tokens.AccessTokenSeconds, device.Id, ToDto(user));
    }

    /// <summary>
    /// Keeps at most <c>MaxDevicesPerUser</c> live sessions: past it, the devices whose last login or refresh is
    /// oldest are logged out (never the one just created). A device in use refreshes its token every
    /// <c>AccessTokenSeconds</c>, so the ones dropped are those nobody has used for the longest.
    /// </summary>
    private async Task RevokeIdlestDevicesAsync(long userId, long keep, CancellationToken ct)
    {
        var live = await accounts.ListDevicesAsync(userId, ct);
        if (live.Count <= _maxDevices)
        {
            return;
        }

        foreach (var device in live.Where(d => d.Id != keep).OrderBy(d => d.LastSeenAt).ThenBy(d => d.Id).Take(live.Count - _maxDevices))
        {
            await RevokeAsync(device.Id, "device_limit", ct);
        }
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

    private static string ValidDisplayName(string name) => VisibleName.Validate(name, "display_name", MaxDisplayName);

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
