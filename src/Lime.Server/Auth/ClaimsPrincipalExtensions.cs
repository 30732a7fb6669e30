using System.Globalization;
using System.Security.Claims;

namespace Lime.Server.Auth;

/// <summary>Reads LIME's claims: <c>sub</c> = user id, <c>sid</c> = device (session) id.</summary>
public static class LimeClaims
{
    public const string Subject = "sub";
    public const string Session = "sid";

    public static long UserId(this ClaimsPrincipal user) =>
        long.Parse(user.FindFirstValue(Subject) ?? throw new InvalidOperationException("No sub claim."), CultureInfo.InvariantCulture);

    public static long DeviceId(this ClaimsPrincipal user) =>
        long.Parse(user.FindFirstValue(Session) ?? throw new InvalidOperationException("No sid claim."), CultureInfo.InvariantCulture);
}
