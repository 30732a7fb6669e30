using System.Collections.Concurrent;
using Dapper;
using Lime.Server;
using Lime.Server.Push;
using Lime.Server.Storage.Postgres;
using Lime.Server.Storage.Sql;
using Lime.Server.Storage.Sqlite;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Lime.Tests.Contract;

/// <summary>
/// The outbox store's claim contract on every storage backend: leases never overlap, an expired lease frees its
/// entries, finishing needs the lease, a restarted node takes back its own claims, dead letters requeue as new entries.
/// (SQLite claims inside a write transaction; PostgreSQL with FOR UPDATE SKIP LOCKED.)
/// </summary>
public abstract class OutboxLeaseContractTests(TestBackend backend) : IAsyncLifetime
{
    protected TestBackend Backend { get; } = backend;

    private ISqlDatabase _db = null!;
    private SqlOutboxStore _outbox = null!;
    private string? _directory;
    private string? _database;

    public async ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(Backend);
        if (Backend == TestBackend.Sqlite)
        {
            _directory = Path.Combine(Path.GetTempPath(), "lime-outbox-" + Guid.NewGuid().ToString("N"));
            _db = new SqliteDatabase(Options.Create(new LimeOptions { Storage = new StorageOptions { DataDirectory = _directory } }));
        }
        else
        {
            _database = await SharedServices.NewDatabaseAsync().Within();
            _db = new PostgresDatabase(Options.Create(new LimeOptions { Storage = new StorageOptions { Provider = StorageProvider.Postgres, PostgresConnectionString = _database } }));
        }

        _db.Migrate();
        _outbox = new SqlOutboxStore(_db);
    }

    public async ValueTask DisposeAsync()
    {
        (_db as IDisposable)?.Dispose();
        if (_database is not null)
        {
            await SharedServices.DropDatabaseAsync(_database).Within();
        }

        if (_directory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task Concurrent_claimers_get_disjoint_batches_and_every_entry_exactly_once()
    {
        await InsertAsync(2000, at: 1000);
        var claimed = new ConcurrentDictionary<long, string>();
        var duplicates = new ConcurrentBag<long>();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var claimers = Enumerable.Range(0, 6).Select(n => Task.Run(async () =>
        {
            string me = $"0:{n}";
            await go.Task;
            while (true)
            {
                var batch = await _outbox.ClaimAsync(me, now: 2000, leaseUntil: 60_000, max: 37, CancellationToken.None);
                if (batch.Count == 0)
                {
                    return;
                }

                foreach (var e in batch)
                {
                    if (!claimed.TryAdd(e.Id, me))
                    {
                        duplicates.Add(e.Id);
                    }
                }

                await Task.Delay(2); // let the others in between batches
            }
        })).ToArray();
        go.SetResult();
        await Task.WhenAll(claimers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(duplicates);
        Assert.Equal(2000, claimed.Count);
        Assert.True(claimed.Values.Distinct().Count() > 1, "the work was spread over claimers");
    }

    [Fact]
    public async Task An_expired_lease_frees_its_entries_and_the_old_holder_can_no_longer_finish_them()
    {
        await InsertAsync(3, at: 1000);
        var first = await _outbox.ClaimAsync("0:dead", 1000, leaseUntil: 5000, 10, CancellationToken.None);
        Assert.Equal(3, first.Count);
        Assert.Empty(await _outbox.ClaimAsync("1:other", 4999, 9999, 10, CancellationToken.None)); // lease still running

        var second = await _outbox.ClaimAsync("1:other", 5000, 9000, 10, CancellationToken.None);
        Assert.Equal(3, second.Count);
        Assert.All(second, e => Assert.Equal((2L, 5000L), (e.Attempts, e.DueAt)));

        await _outbox.FinishAsync("0:dead", [.. first.Select(e => new OutboxFinishing(e.Id, OutboxFinish.Done))], 5001, CancellationToken.None);
        Assert.Equal(3, (await _outbox.StatsAsync(CancellationToken.None)).Pending); // not the holder any more: nothing changed

        await _outbox.FinishAsync("1:other", [.. second.Select(e => new OutboxFinishing(e.Id, OutboxFinish.Done))], 5001, CancellationToken.None);
        Assert.Equal(0, (await _outbox.StatsAsync(CancellationToken.None)).Pending);
    }

    [Fact]
    public async Task A_restarted_node_takes_back_its_own_claims_at_once_and_dead_letters_requeue_as_new_entries()
    {
        await InsertAsync(2, at: 1000);
        var claimed = await _outbox.ClaimAsync("3:boot1", 1000, 60_000, 10, CancellationToken.None);
        Assert.Equal(2, claimed.Count);
        Assert.Equal(2, await _outbox.ReleaseAsync("3:", 2000, CancellationToken.None));
        var again = await _outbox.ClaimAsync("3:boot2", 2000, 60_000, 10, CancellationToken.None);
        Assert.Equal(2, again.Count);

        await _outbox.FinishAsync("3:boot2", [new OutboxFinishing(again[0].Id, OutboxFinish.Dead, Error: "HTTP 503"), new OutboxFinishing(again[1].Id, OutboxFinish.Retry, 9000, "HTTP 500")], 2500, CancellationToken.None);
        var dead = Assert.Single(await _outbox.ListDeadLettersAsync(0, 10, CancellationToken.None));
        Assert.Equal(("HTTP 503", 2L, again[0].Id), (dead.LastError, dead.Attempts, dead.EntryId));
        Assert.Empty(await _outbox.ClaimAsync("3:boot2", 8999, 60_000, 10, CancellationToken.None)); // retry not due yet

        Assert.Equal(1, await _outbox.RequeueAsync(null, 10_000, CancellationToken.None));
        var due = await _outbox.ClaimAsync("3:boot2", 10_000, 60_000, 10, CancellationToken.None);
        Assert.Equal(2, due.Count);
        Assert.Contains(due, e => e.Attempts == 1 && e.Seq == again[0].Seq); // requeued: attempts start over
    }

    private async Task InsertAsync(int count, long at)
    {
        await using var c = await _db.OpenConnectionAsync(CancellationToken.None);
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("INSERT INTO outbox (room_id, seq, topic, created_at, next_attempt_at) VALUES (1, @seq, 'message', @at, @at)",
            Enumerable.Range(1, count).Select(i => new { seq = (long)i, at }), tx);
        await tx.CommitAsync();
    }
}

public sealed class SqliteOutboxLeaseContractTests() : OutboxLeaseContractTests(TestBackend.Sqlite);

public sealed class PostgresOutboxLeaseContractTests() : OutboxLeaseContractTests(TestBackend.PostgresRedis);
