using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lime.Protocol;
using Lime.Server.Chat;
using Microsoft.Extensions.Options;

namespace Lime.Server.Cluster;

/// <summary>The HTTP handler of the forward client; tests replace it to reach in-process nodes.</summary>
public class ForwardTransport
{
    public virtual HttpMessageHandler CreateHandler() => new SocketsHttpHandler
    {
        EnableMultipleHttp2Connections = true, // past the peer's concurrent-stream limit, another connection
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(2),
        KeepAlivePingDelay = TimeSpan.FromSeconds(5),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
    };
}

/// <summary>A forward that certainly was not applied (refused before anything was queued): safe to retry elsewhere.</summary>
public sealed class ForwardNotAppliedException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>
/// Sends <see cref="ForwardBatch"/>es to their owners over one shared HTTP/2 client (exact version 2.0, cleartext
/// prior knowledge). Outcomes:
/// <list type="bullet">
/// <item>the owner's answer: each write's result or refusal (a refusal rethrown as the same <see cref="LimeException"/>);</item>
/// <item><see cref="ForwardNotAppliedException"/>: the owner answered <c>not_owner</c>, or the connection could not be
/// made, so nothing was sent — the caller may refresh the owner map and retry;</item>
/// <item>no answer within <see cref="ClusterOptions.ForwardTimeoutMs"/>, or the connection broke after sending:
/// <c>unavailable</c> (outcome unknown; the client's retry with the same client_msg_id settles it) — never a guess.</item>
/// </list>
/// </summary>
public sealed class ForwardClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _auth;
    private readonly TimeSpan _timeout;
    private readonly ILogger<ForwardClient> _log;

    public ForwardClient(ForwardTransport transport, InternalChannel channel, IOptions<LimeOptions> options, ILogger<ForwardClient> log)
    {
        _http = new HttpClient(transport.CreateHandler(), disposeHandler: true)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan, // our own deadline, below
        };
        _auth = channel.HeaderValue;
        _timeout = TimeSpan.FromMilliseconds(options.Value.Cluster.ForwardTimeoutMs);
        _log = log;
    }

    public async Task<ForwardOutcome[]> SendAsync(Uri owner, ForwardBatch batch, CancellationToken ct = default)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(batch, ClusterJson.Default.ForwardBatch);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(owner, InternalChannel.ForwardPath))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(InternalChannel.Header, _auth);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    return await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(deadline.Token), ClusterJson.Default.ForwardOutcomeArray, deadline.Token)
                        ?? throw Unknown("The owner's answer was empty.");
                case HttpStatusCode.MisdirectedRequest:
                    throw new ForwardNotAppliedException($"{owner} does not own room {batch.Room}.");
                case HttpStatusCode.Unauthorized:
                    ClusterLog.ForwardUnauthorized(_log, owner.ToString());
                    throw new LimeException(ErrorCodes.Unavailable, "Another node refused this node's internal key (Lime:Auth:SigningKey must be the same on every node).");
                default:
                    var error = await ReadErrorAsync(response, deadline.Token);
                    throw error?.ToException() ?? Unknown($"The owner answered {(int)response.StatusCode}.");
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new LimeException(ErrorCodes.Unavailable, "The room's owner did not answer in time; the outcome is unknown. Retry with the same client_msg_id.");
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            // The connection could not be made: nothing was sent.
            throw new ForwardNotAppliedException($"{owner} is unreachable.", e);
        }
        catch (HttpRequestException e)
        {
            ClusterLog.ForwardFailed(_log, owner.ToString(), e);
            throw Unknown("The connection to the room's owner broke.");
        }
    }

    private static LimeException Unknown(string why) =>
        new(ErrorCodes.Unavailable, why + " The outcome is unknown; retry with the same client_msg_id.");

    private static async Task<ForwardError?> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(ct), ClusterJson.Default.ForwardError, ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
