using Dapper;
using Lime.Client;
using Lime.Protocol;
using Lime.Server.Push;
using Lime.Server.Search;
using Lime.Server.Storage.Sql;
using Lime.Tests.Infrastructure;
using Lime.Tests.Search;
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

    [Fact]
    public async Task Only_rooms_the_caller_is_in_are_searched_and_only_from_their_join_on()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var carol = await Server.NewUserAsync("c");

        var joinedLate = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "late", Members: [bob.Id]));
        await alice.Http.SendAsync(joinedLate.Id, new SendMessageRequest("l1", "회의 before carol joined"));
        await alice.Http.AddMembersAsync(joinedLate.Id, carol.Id);
        var visible = await alice.Http.SendAsync(joinedLate.Id, new SendMessageRequest("l2", "회의 after carol joined"));

        var left = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "left", Members: [carol.Id]));
        await alice.Http.SendAsync(left.Id, new SendMessageRequest("x1", "회의 in a room carol left"));
        await carol.Http.LeaveAsync(left.Id);

        var banned = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "banned", Members: [carol.Id]));
        await alice.Http.SendAsync(banned.Id, new SendMessageRequest("x2", "회의 in a channel carol is banned from"));
        await alice.Http.BanAsync(banned.Id, carol.Id);

        var never = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "never", Members: [bob.Id]));
        await alice.Http.SendAsync(never.Id, new SendMessageRequest("x3", "회의 in a group carol never joined"));
        var open = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "open"));
        await alice.Http.SendAsync(open.Id, new SendMessageRequest("x4", "회의 in an open channel carol did not join"));
        await WaitIndexedAsync();

        var hit = Assert.Single((await carol.Http.SearchAsync("회의")).Hits);
        Assert.Equal((joinedLate.Id, visible.Seq, alice.Id, visible.Id), (hit.Room, hit.Seq, hit.Sender, hit.Id));
        Assert.Empty((await carol.Http.SearchAsync("회의", room: joinedLate.Id, before: visible.Ts)).Hits);
        Assert.Equal(3, (await bob.Http.SearchAsync("회의")).Hits.Length); // late (2) and never (1): bob was there from the start
        Assert.Equal(6, (await alice.Http.SearchAsync("회의")).Hits.Length);

        foreach (var room in new[] { left, banned, never, open })
        {
            var refused = await Assert.ThrowsAsync<LimeApiException>(() => carol.Http.SearchAsync("회의", room: room.Id));
            Assert.Equal((403, ErrorCodes.Forbidden), (refused.Status, refused.Code));
        }
    }

    [Fact]
    public async Task A_message_deleted_for_everyone_disappears_and_an_edit_is_found_by_its_new_text_only()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var bob = await Server.NewUserAsync("b");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "ops", Members: [bob.Id]));
        var edited = await alice.Http.SendAsync(room.Id, new SendMessageRequest("e", "배포 일정 공유"));
        var deleted = await alice.Http.SendAsync(room.Id, new SendMessageRequest("d", "배포 비밀번호 hunter2"));
        await WaitIndexedAsync();
        Assert.Equal([deleted.Seq, edited.Seq], (await bob.Http.SearchAsync("배포")).Hits.Select(h => h.Seq));

        await alice.Http.DeleteMessageAsync(room.Id, deleted.Seq);
        await alice.Http.EditMessageAsync(room.Id, edited.Seq, "릴리즈 날짜 공유");
        await WaitIndexedAsync();
        Assert.Empty((await bob.Http.SearchAsync("배포")).Hits);
        Assert.Empty((await bob.Http.SearchAsync("hunter2")).Hits);
        var hit = Assert.Single((await bob.Http.SearchAsync("릴리즈")).Hits);
        Assert.Equal((edited.Seq, "릴리즈 날짜 공유"), (hit.Seq, hit.Snippet));
        Assert.Equal("릴리즈", hit.Snippet.Substring(hit.Highlights[0][0], hit.Highlights[0][1]));
        Assert.Equal([edited.Seq], (await bob.Http.SearchAsync("공유")).Hits.Select(h => h.Seq)); // kept words still find it
        Assert.Empty((await bob.Http.SearchAsync("비밀번호")).Hits);
    }

    [Fact]
    public async Task Hits_come_newest_first_in_pages_and_jump_into_history_around_the_message()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "paging"));
        var acks = new List<AckDto>();
        for (int i = 0; i < 7; i++)
        {
            acks.Add(await alice.Http.SendAsync(room.Id, new SendMessageRequest("p" + i, i % 2 == 0 ? $"Meeting notes {i} 회의록" : $"other chatter {i}")));
        }

        await WaitIndexedAsync();
        var seen = new List<long>();
        string? cursor = null;
        int pages = 0;
        do
        {
            var page = await alice.Http.SearchAsync("meet", limit: 2, cursor: cursor);
            seen.AddRange(page.Hits.Select(h => h.Seq));
            cursor = page.NextCursor;
            Assert.True(++pages <= 3, "more pages than hits");
        }
        while (cursor is not null);

        Assert.Equal(acks.Where((_, i) => i % 2 == 0).Select(a => a.Seq).Reverse(), seen);

        await using var socket = await alice.ConnectAsync();
        var found = await socket.SearchAsync("회의록", room: room.Id, limit: 1);
        var top = Assert.Single(found.Hits);
        Assert.Equal(acks[6].Seq, top.Seq);
        Assert.NotNull(found.NextCursor);
        Assert.Equal("회의록", top.Snippet.Substring(top.Highlights[0][0], top.Highlights[0][1]));
        var context = await socket.HistoryAsync(top.Jump.Room, around: top.Jump.Around, limit: 5);
        Assert.Contains(context.Events, e => e.Seq == top.Seq && e.Text == $"Meeting notes 6 회의록");
        Assert.Equal(acks[4].Seq, Assert.Single((await socket.SearchAsync("ㅎㅇㄹ", mode: "initials", cursor: found.NextCursor, limit: 1)).Hits).Seq);
    }

    [Fact]
    public async Task Bad_searches_are_refused_with_documented_codes_and_the_socket_survives()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var mine = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "mine"));
        var other = await (await Server.NewUserAsync("o")).Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "theirs"));
        var cases = new (string Name, Func<LimeHttpClient, Task> Call, int Status, string Code)[]
        {
            ("empty", h => h.SearchAsync(""), 400, ErrorCodes.QueryTooShort),
            ("missing", h => h.SearchAsync(null), 400, ErrorCodes.QueryTooShort),
            ("one Latin letter", h => h.SearchAsync("a"), 400, ErrorCodes.QueryTooShort),
            ("punctuation", h => h.SearchAsync("?!…"), 400, ErrorCodes.QueryTooShort),
            ("257 characters", h => h.SearchAsync(new string('회', 257)), 400, ErrorCodes.QueryTooLong),
            ("unknown mode", h => h.SearchAsync("회의", mode: "fuzzy"), 400, ErrorCodes.Validation),
            ("initials with syllables", h => h.SearchAsync("회의", mode: "initials"), 400, ErrorCodes.Validation),
            ("limit 0", h => h.SearchAsync("회의", limit: 0), 400, ErrorCodes.Validation),
            ("limit over the maximum", h => h.SearchAsync("회의", limit: 51), 400, ErrorCodes.Validation),
            ("cursor not a number", h => h.SearchAsync("회의", cursor: "abc"), 400, ErrorCodes.Validation),
            ("cursor negative", h => h.SearchAsync("회의", cursor: "-5"), 400, ErrorCodes.Validation),
            ("after not before before", h => h.SearchAsync("회의", before: 10, after: 20), 400, ErrorCodes.Validation),
            ("unknown room", h => h.SearchAsync("회의", room: 987_654_321), 404, ErrorCodes.NotFound),
            ("room not a member of", h => h.SearchAsync("회의", room: other.Id), 403, ErrorCodes.Forbidden),
        };
        foreach (var (name, call, status, code) in cases)
        {
            var e = await Assert.ThrowsAsync<LimeApiException>(() => call(alice.Http));
            Assert.True((status, code) == (e.Status, e.Code), $"{name}: {e.Status} {e.Code}");
        }

        Assert.Empty((await alice.Http.SearchAsync("회의", room: mine.Id, limit: 50)).Hits);

        await using var socket = await alice.ConnectAsync();
        foreach (var (q, mode, room, cursor, code) in new (string, string?, long?, string?, string)[]
        {
            ("", null, null, null, ErrorCodes.QueryTooShort),
            (new string('a', 257), null, null, null, ErrorCodes.QueryTooLong),
            ("회의", null, other.Id, null, ErrorCodes.Forbidden),
            ("회의", null, null, "x", ErrorCodes.Validation),
        })
        {
            var e = await Assert.ThrowsAsync<LimeSocketException>(() => socket.SearchAsync(q, mode, room, cursor: cursor));
            Assert.Equal(code, e.Code);
        }

        Assert.NotNull(await socket.PingAsync());
    }

    [Fact]
    public async Task The_regression_corpus_gives_its_expected_hits_through_the_api()
    {
        SkipWhenUnavailable();
        var alice = await Server.NewUserAsync("a");
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "corpus"));
        var idBySeq = new Dictionary<long, int>();
        foreach (var (id, text) in SearchCorpus.Messages)
        {
            idBySeq[(await alice.Http.SendAsync(room.Id, new SendMessageRequest("c" + id, text))).Seq] = id;
        }

        await WaitIndexedAsync();
        foreach (var q in SearchCorpus.Queries)
        {
            var page = await alice.Http.SearchAsync(q.Text, mode: q.Mode == SearchMode.Initials ? "initials" : null, limit: 50);
            Assert.Null(page.NextCursor);
            var hits = page.Hits.Select(h => idBySeq[h.Seq]).Order().ToArray();
            Assert.True(q.Expected.SequenceEqual(hits), $"{q.Text}: expected [{string.Join(",", q.Expected)}], got [{string.Join(",", hits)}]");
        }
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
