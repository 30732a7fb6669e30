using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Push;

/// <summary>
/// The same push pipeline on PostgreSQL: windows with row locks. (The outbox claim contract runs on both backends in
/// Contract/OutboxLeaseContractTests.)
/// </summary>
public sealed class PostgresPushTests
{
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
