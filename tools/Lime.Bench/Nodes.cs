namespace Lime.Bench;

/// <summary>
/// The server nodes under test, one pooled <see cref="HttpClient"/> each. Client number i talks to node
/// i mod n, for REST and WebSocket alike, so load spreads round-robin.
/// </summary>
internal sealed class Nodes : IDisposable
{
    private readonly HttpClient[] _http;

    public Nodes(IReadOnlyList<Uri> urls)
    {
        Urls = urls;
        _http = urls.Select(url => new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 64,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromSeconds(30),
        }).ToArray();
    }

    public IReadOnlyList<Uri> Urls { get; }

    public HttpClient HttpFor(int clientIndex) => _http[clientIndex % _http.Length];

    public Uri UrlFor(int clientIndex) => Urls[clientIndex % Urls.Count];

    public void Dispose()
    {
        foreach (var http in _http)
        {
            http.Dispose();
        }
    }
}
