using Dapper;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Push;
using Lime.Server.Search;
using Lime.Server.Storage.Sql;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Lime.Tests.Contract;

/// <summary>
/// Search on every storage backend: messages, edits and deletes reach the index through the outbox (asynchronously,
/// idempotently, retried and dead-lettered like every entry), and what the index answers.
/// </summary>
public abstract class SearchContractTests : IAsyncLifetime
{
    protected LimeServer Server { get; private set; } = null!;

    protected virtual string? SkipReason => null;

    protected abstract Task<Dictionary<string, string?>> BackendSettingsAsync();

    public async ValueTask InitializeAsync()
    {
        var settings = await BackendSettingsAsync();
        settings["Lime:Push:MaxAttempts"] = "2";
        settings["Lime:Push:BackoffBaseMs"] = "20";
        Server = new LimeServer(settings);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    private ISearchIndex Index => Server.Services.GetRequiredService<ISearchIndex>();

    [Fact]
    public async Task Messages_edits_and_deletes_reach_the_index_through_the_outbox()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "team", Members: [bob.Id]));
        var first = await alice.Http.SendAsync(room.Id, new SendMessageRequest("m1", "내일 회의록 공유할게요"));
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("m2", "lunch plans? 🍜"));
        await WaitIndexedAsync();

        Assert.Equal([first.Seq], (await FindAsync(bob, "회의")).Select(c => c.Seq));
        Assert.Single(await FindAsync(bob, "lun"));
        Assert.Single(await FindAsync(alice, "🍜"));

        await alice.Http.EditMessageAsync(room.Id, first.Seq, "점심 메뉴 정해요");
        await WaitIndexedAsync();
        Assert.Empty(await FindAsync(bob, "회의"));
        var edited = Assert.Single(await FindAsync(bob, "점심"));
        Assert.Equal("점심 메뉴 정해요", edited.Text);

        await alice.Http.DeleteMessageAsync(room.Id, first.Seq);
        await WaitIndexedAsync();
        Assert.Empty(await FindAsync(bob, "점심"));
        Assert.Empty(await FindAsync(bob, "메뉴"));
        var stats = await Index.StatsAsync(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), CancellationToken.None);
        Assert.Equal((0L, 0L, 0L, 1L), (stats.Pending, stats.OldestPendingAgeMs, stats.DeadLetters, stats.IndexedMessages));
    }

    [Fact]
    public async Task A_state_applied_again_or_late_changes_nothing()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "team"));
        var m = await alice.Http.SendAsync(room.Id, new SendMessageRequest("m1", "original words"));
        await WaitIndexedAsync();
        var original = Assert.Single(await Index.LoadAsync([(room.Id, m.Seq)], CancellationToken.None));

        await alice.Http.EditMessageAsync(room.Id, m.Seq, "replacement text");
        await WaitIndexedAsync();
        var edited = Assert.Single(await Index.LoadAsync([(room.Id, m.Seq)], CancellationToken.None));
        Assert.True(edited.Version > original.Version);

        // A redelivered entry applies the newest state again; one that read the state before the edit comes late.
        await Index.ApplyAsync([edited, edited], CancellationToken.None);
        await Index.ApplyAsync([original], CancellationToken.None);
        Assert.Empty(await FindAsync(alice, "original"));
        Assert.Single(await FindAsync(alice, "replacement"));
    }

    [Fact]
    public async Task A_failing_index_is_retried_then_dead_lettered_and_a_requeue_indexes_the_message()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "team"));
        await ExecuteAsync("ALTER TABLE search_docs RENAME TO search_docs_away"); // the index breaks under the indexer
        await alice.Http.SendAsync(room.Id, new SendMessageRequest("m1", "배포 완료"));

        var outbox = Server.Services.GetRequiredService<IOutboxStore>();
        var deadline = DateTime.UtcNow + Wait.Default;
        DeadLetterRecord? dead;
        while ((dead = (await outbox.ListDeadLettersAsync(0, 10, CancellationToken.None)).SingleOrDefault(d => d.Topic == "search")) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the search entry never became a dead letter");
            await Task.Delay(20);
        }

        Assert.Equal(2, dead.Attempts); // Lime:Push:MaxAttempts
        Assert.Contains("search_docs", dead.LastError, StringComparison.Ordinal);

        await ExecuteAsync("ALTER TABLE search_docs_away RENAME TO search_docs");
        Assert.Empty(await FindAsync(alice, "배포"));
        Assert.Equal(1, (await Index.StatsAsync(0, CancellationToken.None)).DeadLetters);
        Assert.Equal(1, await outbox.RequeueAsync([dead.Id], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), CancellationToken.None));
        await WaitIndexedAsync();
        Assert.Single(await FindAsync(alice, "배포"));
    }

    protected void SkipWhenUnavailable()
    {
        if (SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    private Task<IReadOnlyList<SearchCandidate>> FindAsync(TestUser user, string q) =>
        Index.FindAsync(new SearchFilter(user.Id, SearchQuery.Parse(q, SearchMode.Text), null, null, null, null, long.MaxValue, 50), CancellationToken.None);

    /// <summary>Until no search entry waits in the outbox (bounded).</summary>
    private async Task WaitIndexedAsync()
    {
        var deadline = DateTime.UtcNow + Wait.Default;
        while ((await Index.StatsAsync(0, CancellationToken.None)).Pending > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "search entries still pending");
            await Task.Delay(10);
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var c = await Server.Services.GetRequiredService<ISqlDatabase>().OpenConnectionAsync(CancellationToken.None);
        await c.ExecuteAsync(sql);
    }
}

public sealed class SqliteSearchContractTests : SearchContractTests
{
    protected override Task<Dictionary<string, string?>> BackendSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Lime:Storage:Provider"] = "sqlite" });
}

public sealed class PostgresSearchContractTests : SearchContractTests
{
    protected override string? SkipReason => Services.PostgresBin is null && !Services.InCi
        ? "PostgreSQL is not installed (apt-get install postgresql); these tests are required on CI."
        : null;

    protected override async Task<Dictionary<string, string?>> BackendSettingsAsync()
    {
        if (SkipReason is not null)
        {
            return new Dictionary<string, string?>();
        }

        return new Dictionary<string, string?>
        {
            ["Lime:Storage:Provider"] = "postgres",
            ["Lime:Storage:PostgresConnectionString"] = await SharedPostgres.NewDatabaseAsync(),
        };
    }
}
