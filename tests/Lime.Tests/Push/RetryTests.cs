using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Push;

/// <summary>Failures: retries with backoff, dead letters with the last error, requeue by an administrator.</summary>
public sealed class RetryTests
{
    [Theory]
    [InlineData(503)]
    [InlineData(500)]
    public async Task A_failing_provider_is_retried_with_growing_backoff_then_dead_lettered_and_requeue_delivers(int status)
    {
        await using var h = await PushHarness.StartAsync(settings: new Dictionary<string, string?> { ["Lime:Push:BackoffBaseMs"] = "300" });
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob");
        var room = await alice.User.Http.CreateDirectAsync(bob.Id).Within();
        await bob.RegisterWebhookAsync("bob");
        bool down = true;
        h.Webhook!.Behavior = _ => down ? (status, """{"error":"unavailable"}""", null) : null;

        var ack = await alice.SendAsync(room.Id, "will fail");
        var dead = await WaitForDeadLetterAsync(h.Admin);
        var attempts = h.Webhook.Requests.Where(r => r.Status == status).Select(r => r.At).ToList();
        Assert.Equal(3, attempts.Count); // the default: 3 attempts
        Assert.Equal((OutboxTopicMessage, room.Id, ack.Seq, 3), (dead.Topic, dead.Room, dead.Seq, dead.Attempts));
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), dead.LastError, StringComparison.Ordinal);
        var first = attempts[1] - attempts[0];
        var second = attempts[2] - attempts[1];
        // A retry never runs before its scheduled time: base·2^(n-1) less at most 20 % jitter (300 ms, then 600 ms).
        Assert.True(first >= TimeSpan.FromMilliseconds(240), $"first backoff {first}");
        Assert.True(second >= TimeSpan.FromMilliseconds(480), $"second backoff {second} (first {first})");
        Assert.Empty(h.Webhook.Deliveries);

        down = false;
        var requeued = await h.Admin.Push.RequeueAsync([dead.Id]).Within();
        Assert.Equal(1, requeued.Requeued);
        Assert.Equal("will fail", (await h.Webhook.WaitForAsync(1)).Single().Body);
        Assert.Empty((await h.Admin.Push.ListDeadLettersAsync().Within()).DeadLetters);

        // The fake records a delivery before the server has read the answer: wait for the counters to catch up.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        PushStatsResponse stats;
        while ((stats = await h.Admin.Push.GetStatsAsync().Within()) is { Sent: 0 } or { Pending: > 0 })
        {
            Assert.True(DateTime.UtcNow < deadline, $"stats did not settle: {stats}");
            await Task.Delay(20);
        }

        Assert.Equal(1, stats.DeadLettered);
        Assert.Equal(2, stats.Retries);
        Assert.True(stats.Sent >= 1 && stats.SendFailures == 3 && stats.LagMs.Samples >= 1, $"stats {stats}");
    }

    [Fact]
    public async Task A_429_with_retry_after_is_retried_no_sooner_than_asked()
    {
        await using var h = await PushHarness.StartAsync();
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob");
        var room = await alice.User.Http.CreateDirectAsync(bob.Id).Within();
        await bob.RegisterWebhookAsync("bob");
        int calls = 0;
        h.Webhook!.Behavior = _ => Interlocked.Increment(ref calls) == 1 ? (429, "", "2") : null;

        await alice.SendAsync(room.Id, "slow down");
        var got = (await h.Webhook.WaitForAsync(1)).Single();
        var refused = h.Webhook.Requests.First(r => r.Status == 429).At;
        Assert.True(got.At - refused >= TimeSpan.FromSeconds(1.9), $"retried after {got.At - refused}");
    }

    [Fact]
    public async Task Admin_endpoints_refuse_everyone_but_the_configured_administrators()
    {
        await using var h = await PushHarness.StartAsync();
        var mallory = await h.NewUserAsync("mallory");
        var e = await Assert.ThrowsAsync<LimeApiException>(() => mallory.Push.ListDeadLettersAsync().Within());
        Assert.Equal((403, ErrorCodes.Forbidden), (e.Status, e.Code));
        await Assert.ThrowsAsync<LimeApiException>(() => mallory.Push.RequeueAsync().Within());
        await Assert.ThrowsAsync<LimeApiException>(() => mallory.Push.GetStatsAsync().Within());
        Assert.Empty((await h.Admin.Push.ListDeadLettersAsync().Within()).DeadLetters);
    }

    private const string OutboxTopicMessage = "message";

    private static async Task<DeadLetterDto> WaitForDeadLetterAsync(PushUser admin)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var list = (await admin.Push.ListDeadLettersAsync().Within()).DeadLetters;
            if (list.Length > 0)
            {
                return Assert.Single(list);
            }

            Assert.True(DateTime.UtcNow < deadline, "no dead letter within 30 s");
            await Task.Delay(50);
        }
    }
}
