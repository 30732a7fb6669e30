using System.Globalization;
using System.Security.Claims;

namespace Lime.Server.Auth;

/// <summary>Reads LIME's claims: <c>sub</c> = user id, <c>sid</c> = device (session) id.</summary>
public static class LimeClaims
{
    public const string Subject = "sub";
    public const string Session = "sid";

    /// <summary>
    /// The user and device of a validly signed token, or null when either claim is missing, repeated, not a positive
    /// decimal integer or out of range: such a token is refused (401), never an error.
    /// </summary>
    public static (long UserId, long DeviceId)? TryRead(ClaimsPrincipal principal) =>
        TryId(principal, Subject) is { } user && TryId(principal, Session) is { } device ? (user, device) : null;

    // Only after authentication, which has checked both claims with TryRead (the handler refuses anything else).
    public static long UserId(this ClaimsPrincipal user) =>
        TryId(user, Subject) ?? throw new InvalidOperationException("No valid sub claim.");

    public static long DeviceId(this ClaimsPrincipal user) =>
        TryId(user, Session) ?? throw new InvalidOperationException("No valid sid claim.");

    private static long? TryId(ClaimsPrincipal principal, string type)
    {
        using var claims = principal.FindAll(type).GetEnumerator();
        if (!claims.MoveNext())
        {
            return null;
        }

        string value = claims.Current.Value;
        return !claims.MoveNext() && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0 ? id : null;
    }
}
