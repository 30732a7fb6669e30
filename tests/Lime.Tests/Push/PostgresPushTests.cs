using System.Collections.Concurrent;
using Dapper;
using Lime.Protocol;
using Lime.Server;
using Lime.Server.Push;
using Lime.Server.Storage.Postgres;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Lime.Tests.Push;

/// <summary>The same push pipeline on PostgreSQL: claims with FOR UPDATE SKIP LOCKED, windows with row locks.</summary>
public sealed class PostgresPushTests
{
    [PostgresFact]
    public async Task Concurrent_claimers_on_postgres_get_disjoint_batches_and_every_entry_exactly_once()
    {
        var options = Options.Create(new LimeOptions { Storage = new StorageOptions { Provider = StorageProvider.Postgres, PostgresConnectionString = await SharedPostgres.NewDatabaseAsync().Within() } });
        using var db = new PostgresDatabase(options);
        db.Migrate();
        await using (var c = db.Source.OpenConnection())
        {
            await c.ExecuteAsync("INSERT INTO outbox (room_id, seq, topic, created_at, next_attempt_at) SELECT 1, g, 'message', 1000, 1000 FROM generate_series(1, 1500) g");
        }

        var outbox = new SqlOutboxStore(db);
        var claimed = new ConcurrentDictionary<long, string>();
        var duplicates = new ConcurrentBag<long>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claimers = Enumerable.Range(0, 6).Select(n => Task.Run(async () =>
        {
            await go.Task;
            while (true)
            {
                var batch = await outbox.ClaimAsync($"{n}:x", 2000, 60_000, 29, CancellationToken.None);
                if (batch.Count == 0)
                {
                    return;
                }

                foreach (var e in batch)
                {
                    if (!claimed.TryAdd(e.Id, $"{n}"))
                    {
                        duplicates.Add(e.Id);
                    }
                }
            }
        })).ToArray();
        go.SetResult();
        await Task.WhenAll(claimers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(duplicates);
        Assert.Equal(1500, claimed.Count);
        Assert.True(claimed.Values.Distinct().Count() > 1, "the claims were spread over claimers");
    }

    [PostgresFact]
    public async Task On_postgres_pushes_are_delivered_collapsed_dead_lettered_and_requeued()
    {
        await using var h = await PushHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Lime:Storage:Provider"] = "postgres",
            ["Lime:Storage:PostgresConnectionString"] = await SharedPostgres.NewDatabaseAsync().Within(),
            ["Lime:Push:CollapseWindowMs"] = "1000",
        });
        var alice = await h.NewUserAsync("alice");
        var bob = await h.NewUserAsync("bob");
        var room = await alice.User.Http.CreateDirectAsync(bob.Id).Within();
        await bob.RegisterWebhookAsync("bob");

        for (int i = 1; i <= 3; i++)
        {
            await alice.SendAsync(room.Id, $"burst {i}");
        }

        var got = await h.Webhook!.WaitForAsync(2);
        Assert.StartsWith("burst ", got[0].Body, StringComparison.Ordinal); // whichever a worker reached first leads
        Assert.Equal("3 new messages", got[1].Body);

        h.Webhook.Behavior = _ => (503, "", null);
        await Task.Delay(1100); // past the window: the next message leads
        await alice.SendAsync(room.Id, "fails");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        DeadLetterDto[] dead;
        while ((dead = (await h.Admin.Push.ListDeadLettersAsync().Within()).DeadLetters).Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no dead letter within 30 s");
            await Task.Delay(50);
        }

        h.Webhook.Behavior = _ => null;
        Assert.Equal(1, (await h.Admin.Push.RequeueAsync().Within()).Requeued);
        await h.Webhook.WaitForAsync(1, d => d.Body == "fails");
        Assert.Empty(h.Webhook.Refusals);
    }
}
