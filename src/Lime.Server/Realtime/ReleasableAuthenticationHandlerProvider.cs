using Microsoft.AspNetCore.Authentication;

namespace Lime.Server.Realtime;

/// <summary>
/// The request's authentication handler provider (scoped, like the default one it wraps). The authentication
/// middleware keeps the provider for as long as the request runs, and the provider keeps each handler it made, which
/// caches its authentication result: principal, claims, parsed token. For a WebSocket that is the socket's whole
/// lifetime, so once the upgrade is done <see cref="SocketEndpoint"/> calls <see cref="Release"/> and all that can
/// be collected. A handler asked for afterwards is made anew.
/// </summary>
public sealed class ReleasableAuthenticationHandlerProvider(IAuthenticationSchemeProvider schemes) : IAuthenticationHandlerProvider
{
    private AuthenticationHandlerProvider? _inner;

    public Task<IAuthenticationHandler?> GetHandlerAsync(HttpContext context, string authenticationScheme) =>
        (_inner ??= new AuthenticationHandlerProvider(schemes)).GetHandlerAsync(context, authenticationScheme);

    public void Release() => _inner = null;
}
