using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Realtime;
using Lime.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lime.Tests.Security;

/// <summary>
/// One socket cannot make the server hold more than its byte budget: replies are cut to MaxReplyBytes and built
/// only within reserved budget, reads in flight are few, and text is not inflated by HTML escaping. The memory test
/// runs alone (its collection is not parallel) so other tests' allocations do not blur the measurement.
/// </summary>
[Collection("memory")]
public sealed class ReplyBudgetTests(ITestOutputHelper output)
{
    private const int Messages = 200;
    private const int TextBytes = 100 * 1024;
    private const long Budget = 8L * 1024 * 1024;
    private const int ReplyBytes = 1024 * 1024;

    /// <summary>
    /// What the live heap may grow by during the attack on top of the budget: 4 reads in flight, each holding up to
    /// its page's strings (2 bytes per character of ~1 MiB of text) and its serialization buffer and frame
    /// (≤ 2 × 1.1 MiB), plus the other users' chatting and the test's own sampling — 40 MiB, against the ≈ 1.5 GB the
    /// same attack made the server hold before the budget (12 frames of 122.9 MB).
    /// </summary>
    private const long Margin = 40L * 1024 * 1024;

    private static readonly string Angles = new('<', TextBytes);

    [Fact]
    public async Task A_client_that_asks_for_huge_history_and_never_reads_stays_within_its_budget_is_closed_and_others_keep_chatting()
    {
        var logs = new CapturingLoggerProvider();
        await using var server = new LimeServer(new Dictionary<string, string?>
        {
            ["Lime:Realtime:SendQueueBytes"] = Budget.ToString(CultureInfo.InvariantCulture),
            ["Lime:Limits:MaxReplyBytes"] = ReplyBytes.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Lime.Server.Realtime"] = "Debug",
        })
        {
            ConfigureHost = b => b.ConfigureLogging(l => l.AddProvider(logs)),
        };
        var (offender, room, address) = await RoomOfAnglesAsync(server);
        var bob = await server.NewUserAsync("bob");
        var carol = await server.NewUserAsync("carol");
        var chat = await bob.Http.CreateDirectAsync(carol.Id);
        await using var carolSocket = await LimeSocket.ConnectAsync(new Uri(address.Replace("http", "ws", StringComparison.Ordinal) + "/ws"), carol.Tokens.AccessToken);

        // The offender: a raw socket that sends reads and never reads a byte back.
        using var raw = new ClientWebSocket();
        raw.Options.SetRequestHeader("Authorization", "Bearer " + offender.Tokens.AccessToken);
        await raw.ConnectAsync(new Uri(address.Replace("http", "ws", StringComparison.Ordinal) + "/ws"), CancellationToken.None).Within();
        var registry = server.Services.GetRequiredService<ConnectionRegistry>();
        await Until(() => registry.OfDevice(offender.Tokens.DeviceId).Length == 1, "the offender is registered");

        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                await Task.Delay(50);
            }
        });

        // 40 history pages of 200 (each 20 MB of text in the store) and 8 syncs of 200 per room, all unread: more than
        // the budget and the kernel's socket buffers together hold, so the replies cannot all leave.
        for (int i = 0; i < 48; i++)
        {
            string request = i < 40
                ? $$"""{"type":"history","id":"h{{i}}","room":{{room.Id}},"limit":200}"""
                : $$"""{"type":"sync","id":"s{{i}}","limit_per_room":200}""";
            using var send = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await raw.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, send.Token);
            }
            catch (OperationCanceledException)
            {
                break; // the server stopped reading the offender: that is one of the two allowed outcomes
            }
        }

        // Meanwhile, and after, others chat as usual.
        for (int i = 0; i < 5; i++)
        {
            var ack = await SendDurablyAsync(bob.Http, chat.Id, new SendMessageRequest($"b{i}", "still here")).Within(TimeSpan.FromMinutes(1));
            var seen = await Wait.ForEventsAsync(carolSocket.Events, 1, e => e.Kind == EventKinds.Message && e.Seq == ack.Seq);
            Assert.Equal("still here", seen[0].Text);
        }

        // The offender is closed (it never reads, so its replies' room never comes back).
        await Until(() => registry.OfDevice(offender.Tokens.DeviceId).Length == 0, "the offender is closed", TimeSpan.FromSeconds(60));
        var after = await SendDurablyAsync(bob.Http, chat.Id, new SendMessageRequest("after", "and after")).Within(TimeSpan.FromMinutes(1));
        await Wait.ForEventsAsync(carolSocket.Events, 1, e => e.Seq == after.Seq);

        // Closed for not reading (4008), not by the idle timeout.
        string opened = Assert.Single(logs.Lines, l => l.Contains($"device {offender.Tokens.DeviceId} ", StringComparison.Ordinal) && l.Contains("opened", StringComparison.Ordinal));
        string connectionId = opened.Split(' ')[3];
        Assert.Contains(logs.Lines, l => l.Contains($"Socket {connectionId} closed ({CloseCodes.SlowConsumer})", StringComparison.Ordinal));

        await sampling.CancelAsync();
        await sampler.Within();
        long grown = peak - baseline;
        output.WriteLine($"live heap: baseline {baseline / 1024 / 1024} MiB, peak {peak / 1024 / 1024} MiB, grown {grown / 1024 / 1024} MiB");
        Assert.True(grown <= Budget + Margin, $"The live heap grew by {grown / 1024 / 1024} MiB (budget {Budget / 1024 / 1024} MiB + margin {Margin / 1024 / 1024} MiB).");

        // Reading at last, the offender finds its connection ended: 4008, or cut off if the close frame could not get through.
        var buffer = new byte[1 << 20];
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var result = await raw.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Assert.Equal(CloseCodes.SlowConsumer, (int)result.CloseStatus!.Value);
                    break;
                }
            }
        }
        catch (WebSocketException)
        {
            Assert.NotEqual(WebSocketState.Open, raw.State);
        }
    }

    [Fact]
    public async Task Pages_of_huge_messages_are_cut_to_the_reply_cap_and_paging_on_reaches_every_event_over_socket_and_rest()
    {
        await using var server = new LimeServer(new Dictionary<string, string?> { ["Lime:Limits:MaxReplyBytes"] = ReplyBytes.ToString(CultureInfo.InvariantCulture) });
        var (alice, room, address) = await RoomOfAnglesAsync(server);
        await using var socket = await LimeSocket.ConnectAsync(new Uri(address.Replace("http", "ws", StringComparison.Ordinal) + "/ws"), alice.Tokens.AccessToken);

        // Backwards from the newest, socket: every page within the cap, has_more_before until seq 1.
        var seen = new List<long>();
        long? before = null;
        int pages = 0;
        while (true)
        {
            var page = await socket.HistoryAsync(room.Id, before: before, limit: 200).Within();
            Assert.NotEmpty(page.Events);
            Assert.True(page.Events.Sum(e => e.Text?.Length ?? 0) <= ReplyBytes, "a page over the cap");
            seen.InsertRange(0, page.Events.Select(e => e.Seq));
            pages++;
            if (!page.HasMoreBefore)
            {
                break;
            }

            before = page.Events[0].Seq;
        }

        Assert.Equal(Enumerable.Range(1, Messages + 1).Select(i => (long)i), seen);
        Assert.InRange(pages, Messages * TextBytes / ReplyBytes, Messages);

        // Forwards from the start, REST: has_more_after until the end.
        seen.Clear();
        long after = 0;
        while (true)
        {
            var page = await alice.Http.GetHistoryAsync(room.Id, after: after, limit: 200).Within();
            Assert.NotEmpty(page.Events);
            Assert.True(page.Events.Length < 200, "a forward page was not cut");
            seen.AddRange(page.Events.Select(e => e.Seq));
            if (!page.HasMoreAfter)
            {
                break;
            }

            after = page.Events[^1].Seq;
        }

        Assert.Equal(Enumerable.Range(1, Messages + 1).Select(i => (long)i), seen);

        // Around a seq: the events nearest to it, the seq itself included.
        var around = await socket.HistoryAsync(room.Id, around: 100, limit: 200).Within();
        Assert.Contains(100L, around.Events.Select(e => e.Seq));
        Assert.True(around.HasMoreBefore && around.HasMoreAfter && around.Events.Length < 200);

        // Sync with a cursor far behind: cut, has_more, and the session's gap fill brings the rest.
        var sync = await socket.SyncAsync([new SyncCursor(room.Id, 1)], limitPerRoom: 200).Within();
        var synced = Assert.Single(sync.Rooms, r => r.Room.Id == room.Id);
        Assert.False(synced.Snapshot);
        Assert.True(synced.HasMore);
        Assert.InRange(synced.Events.Length, 1, 199);
        var fresh = await socket.SyncAsync(null, limitPerRoom: 200).Within();
        var snapshot = Assert.Single(fresh.Rooms, r => r.Room.Id == room.Id);
        Assert.True(snapshot.Snapshot);
        Assert.Equal(Messages + 1, snapshot.Events[^1].Seq);
        Assert.InRange(snapshot.Events.Length, 1, 199);
    }

    [Fact]
    public async Task Socket_frames_carry_html_sensitive_text_unescaped_so_a_text_of_angle_brackets_is_not_six_times_larger()
    {
        await using var server = new LimeServer();
        var alice = await server.NewUserAsync("alice");
        var bob = await server.NewUserAsync("bob");
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        await SendDurablyAsync(alice.Http, room.Id, new SendMessageRequest("angles", "<script>&\"é😀" + Angles[32..]));

        using var raw = await server.Server.CreateWebSocketClient().ConnectAsync(new Uri(server.Server.BaseAddress, "ws?access_token=" + Uri.EscapeDataString(alice.Tokens.AccessToken)), CancellationToken.None).Within();
        await raw.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"history","id":"h","room":{{room.Id}},"after":1}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        string reply = "";
        var buffer = new byte[1 << 21];
        while (!reply.Contains("\"type\":\"history\"", StringComparison.Ordinal))
        {
            int length = 0;
            WebSocketReceiveResult result;
            do
            {
                result = await raw.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), CancellationToken.None).Within();
                length += result.Count;
            }
            while (!result.EndOfMessage);
            reply = Encoding.UTF8.GetString(buffer, 0, length);
        }

        Assert.Contains("<script>&\\\"é", reply, StringComparison.Ordinal);
        Assert.InRange(Encoding.UTF8.GetByteCount(reply), TextBytes, TextBytes + 2048);
        // Still JSON any parser reads, with the text intact.
        using var doc = JsonDocument.Parse(reply);
        string text = doc.RootElement.GetProperty("events")[0].GetProperty("text").GetString()!;
        Assert.Equal("<script>&\"é😀" + Angles[32..], text);
    }

    /// <summary>A server on Kestrel (a real socket: the kernel's buffers fill when a client stops reading) with a room of 200 texts of 100 KB of '&lt;'.</summary>
    private static async Task<(TestUser Owner, RoomDto Room, string Address)> RoomOfAnglesAsync(LimeServer server)
    {
        server.UseKestrel(0);
        server.StartServer();
        string address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var owner = await server.NewUserAsync("owner");
        var room = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "angles")).Within();
        for (int i = 0; i < Messages; i += 8)
        {
            await Task.WhenAll(Enumerable.Range(i, 8).Select(n => SendDurablyAsync(owner.Http, room.Id, new SendMessageRequest($"a{n:D3}", Angles)))).Within(TimeSpan.FromMinutes(1));
        }

        return (owner, room, address);
    }

    /// <summary>
    /// A send as the protocol tells clients to make it: a 503 <c>unavailable</c> (the commit was not confirmed within
    /// Lime:Storage:AckTimeoutSeconds, which a loaded CI machine reaches with 100 KB texts on SQLite FULL) is retried
    /// with the same client_msg_id, which returns the first commit's ack if there was one. Bounded to 5 attempts.
    /// </summary>
    private static async Task<AckDto> SendDurablyAsync(LimeHttpClient http, long room, SendMessageRequest request)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await http.SendAsync(room, request);
            }
            catch (LimeApiException e) when (e.Code == ErrorCodes.Unavailable && attempt < 5)
            {
            }
        }
    }

    private static async Task Until(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait.Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(50);
        }
    }
}

[CollectionDefinition("memory", DisableParallelization = true)]
public sealed class MemoryTestGroup;
