using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lime-tls-" + Guid.NewGuid().ToString("N")[..8]);

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Kestrel_serves_https_and_wss_from_a_configured_certificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string certPath = Path.Combine(_dir, "tls.pem");
        string keyPath = Path.Combine(_dir, "tls.key");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

        int port = FreePort();
        await using var server = new ServerProcess(Path.Combine(_dir, "data"), new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = "",
            ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{port}",
            ["Kestrel__Endpoints__Https__Certificate__Path"] = certPath,
            ["Kestrel__Endpoints__Https__Certificate__KeyPath"] = keyPath,
        }, readinessUrl: new Uri($"https://127.0.0.1:{port}/"), trust: certificate);
        await server.StartAsync();

        // Only this certificate is trusted: the connection is really TLS to our server.
        bool Validate(object _, X509Certificate? presented, X509Chain? __, SslPolicyErrors ___) =>
            presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (m, c, ch, e) => Validate(m, c, ch, e) };
        var http = new LimeHttpClient(new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}/") });
        var tokens = await http.RegisterAsync(new RegisterRequest("tlsuser", "correct horse battery"));
        Assert.Equal("wss", http.WebSocketUri().Scheme);

        await using var socket = await LimeSocket.ConnectAsync(http.WebSocketUri(), tokens.AccessToken, new LimeSocketOptions
        {
            Connector = async (uri, headers, ct) =>
            {
                var ws = new ClientWebSocket();
                ws.Options.RemoteCertificateValidationCallback = Validate;
                foreach (var (name, value) in headers)
                {
                    ws.Options.SetRequestHeader(name, value);
                }

                await ws.ConnectAsync(uri, ct);
                return ws;
            },
        });
        Assert.Equal(tokens.User.Id, socket.Hello.UserId);
        Assert.True((await socket.PingAsync().Within()).Ts > 0);
    }

    [Fact]
    public async Task Behind_a_tls_terminating_balancer_forwarded_headers_are_honoured_only_when_configured()
    {
        await using var trusting = new LimeServer(new Dictionary<string, string?> { ["Lime:Cluster:TrustForwardedHeaders"] = "true" });
        await using var plain = new LimeServer();
        foreach (var (server, expected) in new[] { (trusting, "https://"), (plain, "http://") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/nodes/pick");
            request.Headers.Add("X-Forwarded-Proto", "https");
            request.Headers.Add("X-Forwarded-For", "203.0.113.9");
            var response = await server.CreateClient().SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.Contains($"\"url\":\"{expected}", body, StringComparison.Ordinal);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
