using System.Net;

namespace Lime.Server.Push;

/// <summary>The HTTP plumbing the providers share: one pooled client each, a per-request timeout, failures as results.</summary>
public static class PushHttp
{
    /// <summary>A client for one provider. HTTP/2 requests may open several connections (APNs limits streams per connection).</summary>
    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        EnableMultipleHttp2Connections = true,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // each request has its own, below
    };

    /// <summary>
    /// Sends <paramref name="request"/> and reads the answer with <paramref name="read"/>. A timeout or network error
    /// is a retryable result; only cancellation of <paramref name="ct"/> throws.
    /// </summary>
    public static async Task<PushResult> SendAsync(
        HttpClient client, HttpRequestMessage request, TimeSpan timeout, Func<HttpResponseMessage, Task<PushResult>> read, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cts.Token);
            return await read(response);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return PushResult.Retry($"no answer within {timeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            return PushResult.Retry("network: " + e.Message);
        }
    }

    /// <summary>The response body, at most <paramref name="max"/> characters (for error messages).</summary>
    public static async Task<string> BodyAsync(HttpResponseMessage response, int max = 300)
    {
        string body = await response.Content.ReadAsStringAsync();
        return body.Length > max ? body[..max] : body;
    }
}
