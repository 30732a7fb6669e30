using System.Collections.Concurrent;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public sealed class DurabilityTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "lime-kill-" + Guid.NewGuid().ToString("N"));

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Every_acknowledged_message_survives_kill_minus_9_and_retries_resolve_the_unknown_ones()
    {
        TokenResponse alice, bob;
        RoomDto room;
        var acked = new ConcurrentDictionary<string, AckDto>();
        var attempted = new ConcurrentDictionary<string, string>();

        await using (var server = new ServerProcess(_data))
        {
            await server.StartAsync();
            using var httpClient = new HttpClient { BaseAddress = server.BaseAddress };
            var aliceHttp = new LimeHttpClient(httpClient);
            alice = await aliceHttp.RegisterAsync(new RegisterRequest("alice", "correct horse battery"));
            var bobHttp = new LimeHttpClient(new HttpClient { BaseAddress = server.BaseAddress });
            bob = await bobHttp.RegisterAsync(new RegisterRequest("bob", "correct horse battery"));
            room = await aliceHttp.CreateDirectAsync(bob.User.Id);

            await using var socket = await LimeSocket.ConnectAsync(aliceHttp.WebSocketUri(), alice.AccessToken);

            // Keep many sends in flight; kill the server the moment the 300th ack arrives.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var killed = new TaskCompletionSource();
            var senders = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
            {
                for (int n = 0; !stop.IsCancellationRequested && n < 10_000; n++)
                {
                    string clientId = $"w{worker}-{n}";
                    attempted[clientId] = $"text {clientId}";
                    try
                    {
                        var ack = await socket.SendMessageAsync(room.Id, clientId, attempted[clientId]);
                        acked[clientId] = ack;
                        if (acked.Count >= 300)
                        {
                            killed.TrySetResult();
                        }
                    }
                    catch (LimeSocketException)
                    {
                        return; // the connection died with the server: outcome unknown
                    }
                }
            })).ToArray();

            await killed.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await server.KillAsync();
            await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.True(acked.Count >= 300);

        await using (var restarted = new ServerProcess(_data))
        {
            await restarted.StartAsync();
            var http = new LimeHttpClient(new HttpClient { BaseAddress = restarted.BaseAddress });
            await http.LoginAsync(new LoginRequest("bob", "correct horse battery"));
            var history = await ReadAllAsync(http, room.Id);

            // Every acknowledged message is there with the seq and id it was acknowledged with.
            var bySeq = history.ToDictionary(e => e.Seq);
            foreach (var (clientId, ack) in acked)
            {
                Assert.True(bySeq.TryGetValue(ack.Seq, out var e), $"acked {clientId} (seq {ack.Seq}) is missing after kill -9");
                Assert.Equal((ack.Id, clientId, attempted[clientId]), (e!.Id, e.ClientMsgId, e.Text));
            }

            // The order is still gap-free.
            Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(e => e.Seq));

            // Retrying everything that was attempted with the same client ids resolves the unknowns without duplicates.
            var aliceHttp = new LimeHttpClient(new HttpClient { BaseAddress = restarted.BaseAddress });
            await aliceHttp.LoginAsync(new LoginRequest("alice", "correct horse battery"));
            foreach (var (clientId, text) in attempted.Where(a => !acked.ContainsKey(a.Key)).Take(200))
            {
                await aliceHttp.SendAsync(room.Id, new SendMessageRequest(clientId, text));
            }

            foreach (var (clientId, ack) in acked.Take(50))
            {
                var again = await aliceHttp.SendAsync(room.Id, new SendMessageRequest(clientId, attempted[clientId]));
                Assert.True(again.Duplicate);
                Assert.Equal((ack.Id, ack.Seq), (again.Id, again.Seq));
            }

            var final = await ReadAllAsync(http, room.Id);
            var messages = final.Where(e => e.Kind == EventKinds.Message).ToList();
            Assert.Equal(messages.Count, messages.Select(e => e.ClientMsgId).Distinct().Count());
        }
    }

    [Fact]
    public async Task Two_clients_chat_restart_the_server_and_read_the_same_history()
    {
        await using var server = new ServerProcess(_data);
        await server.StartAsync();
        var alice = new LimeHttpClient(new HttpClient { BaseAddress = server.BaseAddress });
        var bob = new LimeHttpClient(new HttpClient { BaseAddress = server.BaseAddress });
        var a = await alice.RegisterAsync(new RegisterRequest("carol", "correct horse battery"));
        var b = await bob.RegisterAsync(new RegisterRequest("dave", "correct horse battery"));
        var room = await alice.CreateDirectAsync(b.User.Id);
        await using var aliceSocket = await LimeSocket.ConnectAsync(alice.WebSocketUri(), a.AccessToken);
        await using var bobSocket = await LimeSocket.ConnectAsync(bob.WebSocketUri(), b.AccessToken, new LimeSocketOptions { TokenInQuery = true });

        for (int i = 0; i < 10; i++)
        {
            var (from, to) = i % 2 == 0 ? (aliceSocket, bobSocket) : (bobSocket, aliceSocket);
            var ack = await from.SendMessageAsync(room.Id, $"c{i}", $"line {i}");
            var got = await Wait.ForEventsAsync(to.Events, 1, e => e.Seq == ack.Seq);
            Assert.Equal((ack.Seq, $"line {i}"), (got[0].Seq, got[0].Text));
        }

        var before = await ReadAllAsync(alice, room.Id);
        await server.KillAsync();
        await using var again = new ServerProcess(_data);
        await again.StartAsync();

        // Tokens issued before the restart still work: the signing key is kept in the data directory.
        var aliceAgain = new LimeHttpClient(new HttpClient { BaseAddress = again.BaseAddress }) { AccessToken = a.AccessToken };
        var after = await ReadAllAsync(aliceAgain, room.Id);
        Assert.Equal(before.Select(e => (e.Seq, e.Id, e.Text)), after.Select(e => (e.Seq, e.Id, e.Text)));
        Assert.Equal(11, after.Count);
    }

    private static async Task<List<EventDto>> ReadAllAsync(LimeHttpClient http, long roomId)
    {
        var all = new List<EventDto>();
        long after = 0;
        while (true)
        {
            var page = await http.GetHistoryAsync(roomId, after: after, limit: 200);
            all.AddRange(page.Events);
            if (!page.HasMoreAfter || page.Events.Length == 0)
            {
                return all;
            }

            after = page.Events[^1].Seq;
        }
    }
}
