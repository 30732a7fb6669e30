using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

/// <summary>
/// /metrics on a real server process (Kestrel on loopback): the counters move with traffic, the endpoint refuses
/// callers outside Lime:Metrics:AllowedNetworks, and with Lime:Metrics:Listen it answers on that port only.
/// </summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lime-metrics-" + Guid.NewGuid().ToString("N")[..8]);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

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
    public async Task A_scrape_after_traffic_shows_every_counter_moving()
    {
        await using var server = new ServerProcess(Path.Combine(_dir, "traffic"), new Dictionary<string, string>
        {
            // Small queues, so a client that does not read is closed as a slow consumer after a few MB.
            ["Lime__Limits__MaxTextBytes"] = "4096",
            ["Lime__Limits__MaxReplyBytes"] = "16384",
            ["Lime__Realtime__SendQueueBytes"] = "65536",
        });
        await server.StartAsync();
        using var scraper = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var before = await ScrapeAsync(scraper);

        var alice = await RegisterAsync(server, "alice");
        var bob = await RegisterAsync(server, "bob");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "metrics", Members: [bob.Id]));
        await using var aliceSocket = await LimeSocket.ConnectAsync(alice.Http.WebSocketUri(), alice.Token);
        await using var bobSocket = await LimeSocket.ConnectAsync(bob.Http.WebSocketUri(), bob.Token);

        for (int i = 0; i < 5; i++)
        {
            await aliceSocket.SendMessageAsync(room.Id, $"m{i}", "hello " + i).Within();
        }

        await alice.Http.SendAsync(room.Id, new SendMessageRequest("rest-1", "over REST"));
        var duplicate = await aliceSocket.SendMessageAsync(room.Id, "m0", "hello 0").Within();
        Assert.True(duplicate.Duplicate);
        await Assert.ThrowsAsync<LimeSocketException>(() => aliceSocket.SendMessageAsync(room.Id, "blank", " ").Within());
        await Wait.ForEventsAsync(bobSocket.Events, 6, e => e.Kind == EventKinds.Message);
        await bobSocket.SyncAsync([]).Within();

        var after = await ScrapeAsync(scraper);
        Assert.True(Moved(before, after, "lime_sends_total", ("result", "ok")) >= 6);
        Assert.True(Moved(before, after, "lime_sends_total", ("result", "duplicate")) >= 1);
        Assert.True(Moved(before, after, "lime_sends_total", ("result", "rejected")) >= 1);
        Assert.True(Moved(before, after, "lime_send_ack_duration_seconds_count") >= 7);
        Assert.True(Moved(before, after, "lime_commits_total", ("result", "ok")) >= 1);
        Assert.True(Moved(before, after, "lime_commit_batch_size_sum") >= 6);
        Assert.True(Moved(before, after, "lime_commit_duration_seconds_count") >= 1);
        Assert.True(Moved(before, after, "lime_frames_received_total") >= 8);
        Assert.True(Moved(before, after, "lime_frames_sent_total") >= 8);
        Assert.True(Moved(before, after, "lime_socket_writes_total") >= 1);
        Assert.True(Moved(before, after, "lime_connections_opened_total") >= 2);
        Assert.Equal(2, after.Sum("lime_connections"));
        Assert.True(Moved(before, after, "lime_fanout_events_total") >= 6);
        Assert.True(Moved(before, after, "lime_fanout_copies_total") >= 12); // both members' sockets, six messages
        Assert.True(Moved(before, after, "lime_sync_duration_seconds_count") >= 1);
        Assert.True(after.Has("lime_fanout_queue_depth"));
        Assert.True(after.Has("lime_push_outbox_pending"));
        Assert.True(after.Has("lime_push_outbox_dead_letters"));
        Assert.True(Moved(before, after, "http_server_request_duration_seconds_count") >= 4);
        Assert.True(after.Has("dotnet_gc_collections_total"));
        Assert.True(after.Has("dotnet_thread_pool_thread_count"));

        // Presence is announced by a background loop: bounded wait for both users' online transitions.
        var presence = await PollAsync(scraper, s => Moved(before, s, "lime_presence_transitions_total", ("state", "online")) >= 2);
        Assert.True(Moved(before, presence, "lime_presence_transitions_total", ("state", "online")) >= 2);
        var healthy = await PollAsync(scraper, s => s.Has("lime_storage_up"));
        Assert.Equal(1, healthy.Sum("lime_storage_up"));

        // A member whose socket never reads: its queue fills once the kernel's buffers are full, then 4008. The reading
        // sockets leave first, so only the deaf one can be the slow consumer.
        await aliceSocket.DisposeAsync();
        await bobSocket.DisposeAsync();
        using var deaf = new ClientWebSocket();
        deaf.Options.SetRequestHeader("Authorization", "Bearer " + bob.Token);
        await deaf.ConnectAsync(bob.Http.WebSocketUri(), CancellationToken.None).Within();
        string text = new('x', 4000);
        var slow = before;
        for (int i = 0; i < 500 && Moved(before, slow, "lime_connections_slow_consumer_closes_total") < 1; i++)
        {
            // Eight at a time (one group commit), then a look: at most 4,000 messages of 4 KB.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(j => alice.Http.SendAsync(room.Id, new SendMessageRequest($"big{i}-{j}", text)))).Within();
            if (i % 25 == 24)
            {
                slow = await ScrapeAsync(scraper);
            }
        }

        slow = await ScrapeAsync(scraper);
        Assert.True(Moved(before, slow, "lime_connections_slow_consumer_closes_total") >= 1);
    }

    [Fact]
    public async Task A_caller_outside_the_allowed_networks_is_refused_and_the_default_allows_loopback_only()
    {
        await using var refusing = new ServerProcess(Path.Combine(_dir, "refusing"), new Dictionary<string, string>
        {
            ["Lime__Metrics__AllowedNetworks__0"] = "10.0.0.0/8",
        });
        await refusing.StartAsync();
        using var http = new HttpClient { BaseAddress = refusing.BaseAddress };
        var refused = await http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        string body = await refused.Content.ReadAsStringAsync();
        Assert.Contains("\"code\":\"forbidden\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("lime_", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("readyz")).StatusCode); // the rest of the server is untouched

        await using var loopback = new ServerProcess(Path.Combine(_dir, "default"));
        await loopback.StartAsync();
        using var local = new HttpClient { BaseAddress = loopback.BaseAddress };
        var scrape = await local.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_listener_of_its_own_metrics_answer_there_only_and_that_port_serves_nothing_else()
    {
        int port = FreePort();
        await using var server = new ServerProcess(Path.Combine(_dir, "listen"), new Dictionary<string, string>
        {
            ["Lime__Metrics__Listen"] = $"http://127.0.0.1:{port}",
        });
        await server.StartAsync();
        using var main = new HttpClient { BaseAddress = server.BaseAddress };
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        Assert.Equal(HttpStatusCode.NotFound, (await main.GetAsync("metrics")).StatusCode);
        var scrape = await metrics.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.True(PrometheusText.Parse(await scrape.Content.ReadAsStringAsync()).Has("lime_connections"));
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.PostAsync("api/auth/register", new StringContent("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await main.GetAsync("readyz")).StatusCode);
    }

    internal static async Task<PrometheusText> ScrapeAsync(HttpClient http)
    {
        var response = await http.GetAsync("metrics");
        response.EnsureSuccessStatusCode();
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static double Moved(PrometheusText before, PrometheusText after, string name, params (string, string)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);

    /// <summary>Scrapes until <paramref name="done"/> holds, at most 15 s; returns the last scrape either way.</summary>
    private static async Task<PrometheusText> PollAsync(HttpClient http, Func<PrometheusText, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var scrape = await ScrapeAsync(http);
            if (done(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(100);
        }
    }

    internal static async Task<(LimeHttpClient Http, string Token, long Id)> RegisterAsync(ServerProcess server, string prefix)
    {
        var http = new LimeHttpClient(new HttpClient { BaseAddress = server.BaseAddress });
        var tokens = await http.RegisterAsync(new RegisterRequest(prefix + Guid.NewGuid().ToString("N")[..8], "correct horse battery"));
        http.AccessToken = tokens.AccessToken;
        return (http, tokens.AccessToken, tokens.User.Id);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
