using System.Net.WebSockets;
using System.Text;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Realtime;
using Lime.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lime.Tests;

public sealed class RealtimeTests
{
    [Fact]
    public async Task Hello_announces_the_session_and_the_limits()
    {
        await using var server = new LimeServer();
        var alice = await server.NewUserAsync();
        await using var socket = await alice.ConnectAsync();
        Assert.Equal((alice.Id, alice.Tokens.DeviceId), (socket.Hello.UserId, socket.Hello.DeviceId));
        Assert.Equal((102_400, 15_000, 45_000), (socket.Hello.MaxTextBytes, socket.Hello.HeartbeatIntervalMs, socket.Hello.IdleTimeoutMs));
        Assert.Equal(100, socket.Hello.LargeRoomMembers);
        var pong = await socket.PingAsync().Within();
        Assert.True(pong.Ts > 0);
    }

    [Fact]
    public async Task Hello_announces_the_configured_large_room_threshold()
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Rooms:LargeRoomMembers"] = "7" });
        var alice = await server.NewUserAsync();
        await using var socket = await alice.ConnectAsync();
        Assert.Equal(7, socket.Hello.LargeRoomMembers);
    }

    [Fact]
    public async Task A_silent_connection_is_closed_after_the_idle_timeout_and_heartbeats_keep_one_open()
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Realtime:IdleTimeoutSeconds"] = "2" });
        var alice = await server.NewUserAsync();
        await using var silent = await server.ConnectAsync(alice.Tokens.AccessToken, heartbeat: TimeSpan.Zero);
        await using var beating = await server.ConnectAsync(alice.Tokens.AccessToken, heartbeat: TimeSpan.FromMilliseconds(500));

        await silent.Completion.Within(TimeSpan.FromSeconds(15));
        Assert.Equal(CloseCodes.IdleTimeout, silent.CloseCode);

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.False(beating.Completion.IsCompleted);
        Assert.True((await beating.PingAsync().Within()).Ts > 0);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_while_others_keep_receiving()
    {
        await using var server = new LimeServer(new Dictionary<string, string?>
        {
            ["Lime:Realtime:SendQueueFrames"] = "16",
            ["Lime:Limits:MaxTextBytes"] = "200000",
        });
        server.UseKestrel(0);
        server.StartServer();
        string address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var http = new HttpClient { BaseAddress = new Uri(address + "/") };

        var alice = new LimeHttpClient(http);
        var aliceTokens = await alice.RegisterAsync(new RegisterRequest("alice", "correct horse battery"));
        var bob = new LimeHttpClient(new HttpClient { BaseAddress = http.BaseAddress });
        var bobTokens = await bob.RegisterAsync(new RegisterRequest("bob", "correct horse battery"));
        var room = await alice.CreateDirectAsync(bobTokens.User.Id);

        // Bob's slow device: a raw socket that never reads.
        using var slow = new ClientWebSocket();
        slow.Options.SetRequestHeader("Authorization", "Bearer " + bobTokens.AccessToken);
        await slow.ConnectAsync(bob.WebSocketUri(), CancellationToken.None);
        await using var fast = await LimeSocket.ConnectAsync(bob.WebSocketUri(), bobTokens.AccessToken);
        var registry = server.Services.GetRequiredService<ConnectionRegistry>();
        // The handshake completes before the server registers the connection: wait (bounded) for both.
        var registered = DateTime.UtcNow.AddSeconds(10);
        while (registry.Count < 2 && DateTime.UtcNow < registered)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, registry.Count);

        string big = new('x', 150_000);
        const int count = 300; // ~45 MB: far more than the kernel's socket buffers hold
        var receiving = Wait.ForEventsAsync(fast.Events, count, e => e.Kind == EventKinds.Message, TimeSpan.FromMinutes(2));
        for (int i = 0; i < count; i++)
        {
            await alice.SendAsync(room.Id, new SendMessageRequest($"m{i}", big));
        }

        Assert.Equal(count, (await receiving).Count);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (registry.Count > 1 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(1, registry.Count);

        // Reading now, the slow client finds its connection ended: with the 4008 close frame, or cut off if the
        // close frame could not get through a full buffer.
        var buffer = new byte[1 << 20];
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var result = await slow.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Assert.Equal(CloseCodes.SlowConsumer, (int)result.CloseStatus!.Value);
                    break;
                }
            }
        }
        catch (WebSocketException)
        {
            Assert.NotEqual(WebSocketState.Open, slow.State);
        }
    }

    [Fact]
    public async Task An_access_token_in_the_query_string_never_reaches_the_logs()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace", ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace" })
        {
            ConfigureHost = b => b.ConfigureLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)),
        };
        var alice = await server.NewUserAsync();
        await using (var socket = await server.ConnectAsync(alice.Tokens.AccessToken, tokenInQuery: true))
        {
            await socket.PingAsync().Within();
            await socket.SendMessageAsync(999_999, "x", "secret body").ContinueWith(_ => { }, TaskScheduler.Default);
        }

        // A bad token in the query string too (rejected upgrade).
        await Assert.ThrowsAnyAsync<Exception>(() => server.ConnectAsync(alice.Tokens.AccessToken + "tampered", tokenInQuery: true));

        Assert.NotEmpty(logs.Lines);
        string signature = alice.Tokens.AccessToken.Split('.')[2];
        Assert.DoesNotContain(logs.Lines, line => line.Contains(signature, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains(alice.Tokens.RefreshToken, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, line => line.Contains("secret body", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_json_console_logs_a_login_and_send_write_no_token_no_password_and_no_message_text_and_carry_request_ids()
    {
        // The real process's console output, every category at Trace (the hosting request lines asked for too).
        string dir = Path.Combine(Path.GetTempPath(), "lime-jsonlog-" + Guid.NewGuid().ToString("N")[..8]);
        await using var server = new ServerProcess(dir, new Dictionary<string, string>
        {
            ["Lime__Logging__Format"] = "json",
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
        });
        await server.StartAsync();
        var http = new LimeHttpClient(new HttpClient { BaseAddress = server.BaseAddress });
        string name = "jsonlog" + Guid.NewGuid().ToString("N")[..8];
        const string password = "correct horse battery";
        await http.RegisterAsync(new RegisterRequest(name, password));
        var tokens = await http.LoginAsync(new LoginRequest(name, password, "laptop"));
        http.AccessToken = tokens.AccessToken;
        var room = await http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "logs"));
        await http.SendAsync(room.Id, new SendMessageRequest("r1", "secret body over REST"));
        await using (var socket = await LimeSocket.ConnectAsync(http.WebSocketUri(), tokens.AccessToken, new LimeSocketOptions { TokenInQuery = true }))
        {
            await socket.SendMessageAsync(room.Id, "s1", "secret body over the socket").Within();
            await socket.SendMessageAsync(999_999, "s2", "secret body refused").ContinueWith(_ => { }, TaskScheduler.Default);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => http.GetRoomAsync(999_999)); // a problem response, logged on the way
        await server.StopAsync(); // flushes the console

        var lines = server.Output.Where(l => l.Length > 0).ToList();
        Assert.True(lines.Count > 20, $"only {lines.Count} lines were logged:\n" + string.Join("\n", lines));
        var entries = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList(); // every line is one JSON object
        Assert.All(entries, e => Assert.True(e.TryGetProperty("Category", out _) && e.TryGetProperty("Timestamp", out _)));
        Assert.Contains(entries, e => e.TryGetProperty("EventId", out var id) && id.GetInt32() == 1000); // LIME's own start line
        Assert.Contains(entries, e => e.TryGetProperty("Scopes", out var scopes)
            && scopes.EnumerateArray().Any(s => s.ValueKind == System.Text.Json.JsonValueKind.Object && s.TryGetProperty("RequestId", out var r) && r.GetString()!.Length > 0));

        string signature = tokens.AccessToken.Split('.')[2];
        foreach (string secret in new[] { signature, tokens.RefreshToken, password, "secret body" })
        {
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
        }

        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Health_readiness_and_the_OpenAPI_document_are_served()
    {
        await using var server = new LimeServer();
        var http = server.CreateClient();
        Assert.Contains("ok", await http.GetStringAsync("/healthz"), StringComparison.Ordinal);
        Assert.Contains("ready", await http.GetStringAsync("/readyz"), StringComparison.Ordinal);
        string openapi = await http.GetStringAsync("/openapi/v1.json");
        foreach (string path in new[] { "/api/auth/register", "/api/rooms/{id}/messages", "/api/rooms/{id}/events", "/api/channels" })
        {
            Assert.Contains(path, openapi, StringComparison.Ordinal);
        }

        var docs = await http.GetAsync("/docs/");
        Assert.True(docs.IsSuccessStatusCode, $"/docs/ answered {docs.StatusCode}");
        Assert.Contains("<", Encoding.UTF8.GetString(await docs.Content.ReadAsByteArrayAsync()), StringComparison.Ordinal);
    }
}
