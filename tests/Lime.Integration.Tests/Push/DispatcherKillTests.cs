using System.Collections.Concurrent;
using Dapper;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Lime.Tests.Push;

/// <summary>The real server as a child process, killed with SIGKILL while a batch of pushes is in flight.</summary>
public sealed class DispatcherKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string WebhookSecret = "webhook-secret-for-tests-0123456789abcdef";
    private const int Receivers = 10;
    private const int MessagesEach = 30;
    private const int BatchSize = 40;
    private const int Workers = 2;
    private readonly string _data = Path.Combine(Path.GetTempPath(), "lime-push-kill-" + Guid.NewGuid().ToString("N"));
    private readonly FakeWebhook _hook = new(WebhookSecret);

    public async ValueTask InitializeAsync() => await _hook.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _hook.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Killing_the_dispatcher_mid_batch_loses_no_notification_and_repeats_none_beyond_its_idempotency_key()
    {
        var settings = new Dictionary<string, string>
        {
            ["Lime__Push__Enabled"] = "true",
            ["Lime__Push__Webhook__Enabled"] = "true",
            ["Lime__Push__Webhook__Url"] = _hook.Url.ToString(),
            ["Lime__Push__Webhook__Secret"] = WebhookSecret,
            ["Lime__Push__CollapseWindowMs"] = "0",
            ["Lime__Push__BatchSize"] = BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Lime__Push__Workers"] = Workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Lime__Push__MaxConcurrentSends"] = "8",
            ["Lime__Push__PollIntervalMs"] = "20",
            ["Lime__Push__SendTimeoutSeconds"] = "10",
            ["Lime__Push__LeaseSeconds"] = "30",
        };
        var expected = new ConcurrentDictionary<(string Token, long Room, long Seq), bool>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hook.Gate = gate.Task;

        await using (var server = new ServerProcess(_data, settings))
        {
            await server.StartAsync().Within(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var alice = new LimeHttpClient(http);
            await alice.RegisterAsync(new RegisterRequest("alice", "correct horse battery")).Within();
            var rooms = new List<(string Token, long Room)>();
            for (int i = 0; i < Receivers; i++)
            {
                var receiver = new LimeHttpClient(http);
                var tokens = await receiver.RegisterAsync(new RegisterRequest($"receiver{i}", "correct horse battery")).Within();
                await new LimePushClient(http, receiver).RegisterAsync(new RegisterPushRequest(PushKinds.Webhook, $"device-{i}")).Within();
                rooms.Add(($"device-{i}", (await alice.CreateDirectAsync(tokens.User.Id).Within()).Id));
            }

            // Every message is committed while the fake holds the first sends in flight.
            await Task.WhenAll(rooms.Select(r => Task.Run(async () =>
            {
                for (int n = 0; n < MessagesEach; n++)
                {
                    var ack = await alice.SendAsync(r.Room, new SendMessageRequest($"{r.Token}-{n}", $"message {n}")).Within();
                    expected[(r.Token, r.Room, ack.Seq)] = true;
                }
            }))).Within(TimeSpan.FromSeconds(60));
            Assert.Equal(Receivers * MessagesEach, expected.Count);

            _hook.Delay = TimeSpan.FromMilliseconds(15);
            gate.SetResult();
            await WaitUntilAsync(() => _hook.Deliveries.Count >= 60, "60 deliveries before the kill");
            await server.KillAsync();
        }

        int beforeRestart = _hook.Deliveries.Count;
        Assert.True(beforeRestart < expected.Count, $"the kill came too late to test anything ({beforeRestart} of {expected.Count} delivered)");

        await using (var restarted = new ServerProcess(_data, settings))
        {
            _hook.Delay = TimeSpan.Zero;
            await restarted.StartAsync().Within(TimeSpan.FromSeconds(60));
            await WaitUntilAsync(() => Distinct().Count >= expected.Count, $"all {expected.Count} notifications after the restart");
            await WaitUntilAsync(() => OutboxRows() == 0, "an empty outbox");
        }

        var deliveries = _hook.Deliveries.ToList();
        var byNotification = deliveries.GroupBy(d => (d.Token, d.Room, Seq: SeqOf(d.Key))).ToList();
        Assert.Equal(expected.Keys.OrderBy(k => k), byNotification.Select(g => g.Key).OrderBy(k => k)); // none lost, none invented
        Assert.All(byNotification, g => Assert.Single(g.Select(d => d.Key).Distinct())); // one idempotency key per notification
        int repeats = deliveries.Count - byNotification.Count;
        output.WriteLine($"{expected.Count} notifications; {beforeRestart} delivered before the kill; {repeats} delivered again after the restart (same keys)");
        Assert.True(repeats <= BatchSize * Workers, $"{repeats} repeats: more than the batches in flight at the kill");
    }

    private HashSet<string> Distinct() => _hook.Deliveries.Select(d => d.Key).ToHashSet();

    private long OutboxRows()
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(_data, "lime.db")};Mode=ReadOnly;Pooling=False");
        c.Open();
        return c.ExecuteScalar<long>("SELECT count(*) FROM outbox");
    }

    private static long SeqOf(string key) => long.Parse(key.Split(':')[2], System.Globalization.CultureInfo.InvariantCulture);

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}
