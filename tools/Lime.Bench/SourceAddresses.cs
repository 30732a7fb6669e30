using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace Lime.Bench;

/// <summary>
/// WebSocket connectors that bind the local end to one of several loopback source addresses (127.0.0.1,
/// 127.0.0.2, …). Loopback has about 28k ephemeral ports per source address, so going past that many connections
/// to one server port needs more source addresses. One <see cref="SocketsHttpHandler"/> per address is shared by
/// all its connections (an upgraded connection leaves the pool).
/// </summary>
internal sealed class SourceAddresses : IDisposable
{
    private readonly HttpMessageInvoker[] _invokers;

    public SourceAddresses(int count)
    {
        _invokers = Enumerable.Range(1, count).Select(i => new HttpMessageInvoker(Handler(new IPAddress([127, 0, 0, (byte)i])))).ToArray();
    }

    public int Count => _invokers.Length;

    /// <summary>A connector for <see cref="Lime.Client.LimeSocketOptions.Connector"/> that connects from source address number <paramref name="index"/> mod count.</summary>
    public Func<Uri, IReadOnlyDictionary<string, string>, CancellationToken, Task<WebSocket>> For(int index)
    {
        var invoker = _invokers[index % _invokers.Length];
        return async (uri, headers, ct) =>
        {
            var ws = new ClientWebSocket();
            try
            {
                foreach (var (name, value) in headers)
                {
                    ws.Options.SetRequestHeader(name, value);
                }

                await ws.ConnectAsync(uri, invoker, ct);
                return ws;
            }
            catch
            {
                ws.Dispose();
                throw;
            }
        };
    }

    public void Dispose()
    {
        foreach (var invoker in _invokers)
        {
            invoker.Dispose();
        }
    }

    private static SocketsHttpHandler Handler(IPAddress source) => new()
    {
        ConnectCallback = async (context, ct) =>
        {
            var target = IPAddress.TryParse(context.DnsEndPoint.Host, out var ip)
                ? ip
                : (await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, AddressFamily.InterNetwork, ct))[0];
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(new IPEndPoint(target, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
