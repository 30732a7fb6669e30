using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Lime.Web.Tests.Infrastructure;

/// <summary>The public REST API with a web user's own token (read from the app's storage): for preparing data fast.</summary>
public sealed class RestClient : IDisposable
{
    private readonly HttpClient _http;

    private RestClient(HttpClient http) => _http = http;

    public static async Task<RestClient> ForAsync(ChatUser user)
    {
        string? session = await user.Page.EvaluateAsync<string?>("() => localStorage.getItem('lime.session')");
        using var doc = JsonDocument.Parse(session ?? throw new InvalidOperationException("Not signed in."));
        var http = new HttpClient { BaseAddress = new Uri(user.Server.Origin) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", doc.RootElement.GetProperty("access_token").GetString());
        return new RestClient(http);
    }

    /// <summary>Sends a message; returns its seq.</summary>
    public async Task<long> SendAsync(long room, string text, long? replyTo = null)
    {
        using var response = await _http.PostAsJsonAsync($"/api/rooms/{room}/messages",
            new Dictionary<string, object?> { ["client_msg_id"] = Guid.NewGuid().ToString("N"), ["text"] = text, ["reply_to"] = replyTo });
        response.EnsureSuccessStatusCode();
        using var ack = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ack.RootElement.GetProperty("seq").GetInt64();
    }

    /// <summary>The texts of a room's stored messages, oldest first (first 200 events).</summary>
    public async Task<List<string>> MessageTextsAsync(long room)
    {
        using var page = JsonDocument.Parse(await _http.GetStringAsync($"/api/rooms/{room}/events?after=0&limit=200"));
        return [.. page.RootElement.GetProperty("events").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() == "message")
            .Select(e => e.GetProperty("text").GetString()!)];
    }

    /// <summary>Creates an open channel; returns its id.</summary>
    public async Task<long> CreateChannelAsync(string name)
    {
        using var doc = await SendJsonAsync(HttpMethod.Post, "/api/rooms", new Dictionary<string, object?> { ["kind"] = "channel", ["name"] = name });
        return doc.RootElement.GetProperty("id").GetInt64();
    }

    /// <summary>Any JSON request; fails on an error status; returns the response body (an empty object for 204).</summary>
    public async Task<JsonDocument> SendJsonAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await _http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {path}: {(int)response.StatusCode} {text}");
        }

        return JsonDocument.Parse(string.IsNullOrEmpty(text) ? "{}" : text);
    }

    public void Dispose() => _http.Dispose();
}
