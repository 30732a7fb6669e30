using System.Diagnostics;
using Lime.Server.Storage.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Lime.Server.Cluster;

/// <summary>A partition's owner as the owner table says: where to forward its rooms' writes.</summary>
public sealed record PartitionOwner(int NodeId, Uri InternalUrl, long Epoch);

/// <summary>
/// Room ownership by PostgreSQL session advisory locks (docs/operations.md, "Room ownership"). Rooms map to
/// <see cref="ClusterOptions.Partitions"/> partitions (room id mod P). On one dedicated connection (not pooled, TCP
/// keepalive on) this node holds a "node slot" lock <c>(NodeClass, NodeId)</c> and the locks
/// <c>(PartitionClass, partition)</c> of the partitions it owns. Live nodes are the holders of node slots in
/// <c>pg_locks</c>; each node aims at ceil(P / nodes) partitions, takes free ones every
/// <see cref="ClusterOptions.LeaseTickMs"/> and lets a few surplus ones go per tick when nodes join. A lock dies with
/// its session: a node killed with -9 frees its partitions at once, and the others take them on their next tick.
/// After taking a partition the holder writes <c>room_partitions</c> (epoch + 1) so the others know where to
/// forward; they cache that table and read it again on a miss or every second.
/// <para>
/// A partition is let go gently: first no new local or forwarded write is accepted for it (they go to the next owner),
/// then the ones already queued finish, then the row is cleared and the lock released. When the lease connection
/// breaks, every partition is dropped at once. Correctness never rests on this: two nodes that both believe they own
/// a room (a failover) only contend for its row lock.
/// </para>
/// </summary>
public sealed class PartitionLeases : BackgroundService, IRoomOwnership
{
    /// <summary>Advisory lock classes (first key of the two-key form): "LIME" and the next number.</summary>
    public const int PartitionClass = 0x4C494D45;
    public const int NodeClass = PartitionClass + 1;

    private readonly PostgresDatabase _db;
    private readonly ILogger<PartitionLeases> _log;
    private readonly ClusterOptions _cluster;
    private readonly int _node;
    private readonly int _partitions;
    private readonly Uri _internalUrl;
    private readonly string _leaseConnectionString;

    // Per partition: held (this session holds the lock), accepting (held and not being let go), writes in progress.
    private readonly bool[] _held;
    private readonly int[] _accepting; // 0/1, read and written with Volatile/Interlocked (Dekker with _inflight)
    private readonly int[] _inflight;

    private volatile PartitionOwner?[] _map;
    private long _mapReadAt; // Stopwatch timestamp of the last read of the owner table
    private readonly SemaphoreSlim _mapRead = new(1, 1);
    private NpgsqlConnection? _lease;
    private volatile bool _stopping;
    private int _nodes = 1;
    private long _releasedAt; // Stopwatch timestamp of the last release

    public PartitionLeases(PostgresDatabase db, IOptions<LimeOptions> options, ILogger<PartitionLeases> log)
    {
        _db = db;
        _log = log;
        _cluster = options.Value.Cluster;
        _node = options.Value.NodeId;
        _partitions = _cluster.Partitions;
        _internalUrl = new Uri(_cluster.InternalUrl);
        _held = new bool[_partitions];
        _accepting = new int[_partitions];
        _inflight = new int[_partitions];
        _map = new PartitionOwner?[_partitions];
        var builder = new NpgsqlConnectionStringBuilder(options.Value.Storage.PostgresConnectionString)
        {
            Pooling = false, // its own session: the locks live and die with it
            KeepAlive = 5,
            TcpKeepAlive = true,
            ApplicationName = $"lime-leases-{_node}",
        };
        _leaseConnectionString = builder.ConnectionString;
    }

    public int Partitions => _partitions;

    /// <summary>Partitions this node holds now.</summary>
    public int HeldCount => _held.Count(h => h);

    /// <summary>Live nodes as last seen in pg_locks.</summary>
    public int Nodes => Volatile.Read(ref _nodes);

    public int PartitionOf(long room) => (int)(room % _partitions);

    public bool Holds(long room) => room > 0 && Volatile.Read(ref _accepting[PartitionOf(room)]) == 1;

    public bool TryBegin(long room, int writes)
    {
        int p = PartitionOf(room);
        Interlocked.Add(ref _inflight[p], writes);
        if (Volatile.Read(ref _accepting[p]) == 1)
        {
            return true;
        }

        Interlocked.Add(ref _inflight[p], -writes);
        return false;
    }

    public void Finish(long room, int writes) => Interlocked.Add(ref _inflight[PartitionOf(room)], -writes);

    /// <summary>The owner the table names for the room's partition (read again when older than a second, or when asked).</summary>
    public async ValueTask<PartitionOwner?> OwnerAsync(long room, bool refresh, CancellationToken ct)
    {
        int p = PartitionOf(room);
        bool stale = Stopwatch.GetElapsedTime(Interlocked.Read(ref _mapReadAt)) > TimeSpan.FromSeconds(1);
        if (refresh || stale || _map[p] is null)
        {
            await ReadMapAsync(ct);
        }

        return _map[p];
    }

    private async Task ReadMapAsync(CancellationToken ct)
    {
        long before = Stopwatch.GetTimestamp();
        await _mapRead.WaitAsync(ct);
        try
        {
            if (Interlocked.Read(ref _mapReadAt) > before)
            {
                return; // another caller read it while this one waited
            }

            var map = new PartitionOwner?[_partitions];
            await using var connection = await _db.Source.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("SELECT partition, node_id, internal_url, epoch FROM room_partitions WHERE node_id IS NOT NULL", connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                int p = reader.GetInt32(0);
                if (p < _partitions && Uri.TryCreate(reader.GetString(2), UriKind.Absolute, out var url))
                {
                    map[p] = new PartitionOwner(reader.GetInt32(1), url, reader.GetInt64(3));
                }
            }

            _map = map;
            Interlocked.Exchange(ref _mapReadAt, Stopwatch.GetTimestamp());
        }
        finally
        {
            _mapRead.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var tick = TimeSpan.FromMilliseconds(_cluster.LeaseTickMs);
        while (!stoppingToken.IsCancellationRequested && !_stopping)
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.IO.IOException or TimeoutException)
            {
                ClusterLog.LeaseConnectionLost(_log, HeldCount, e);
                DropAll();
            }

            try
            {
                // Jittered, so nodes started together do not all look for free partitions at the same instant.
                await Task.Delay(tick * (0.75 + Random.Shared.NextDouble() * 0.5), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task TickAsync(CancellationToken ct)
    {
        if (_lease is null)
        {
            var connection = new NpgsqlConnection(_leaseConnectionString);
            try
            {
                await connection.OpenAsync(ct);
                await using var slot = new NpgsqlCommand("SELECT pg_try_advisory_lock(@class, @node)", connection);
                slot.Parameters.AddWithValue("class", NodeClass);
                slot.Parameters.AddWithValue("node", _node);
                if (await slot.ExecuteScalarAsync(ct) is not true)
                {
                    ClusterLog.NodeSlotTaken(_log, _node);
                    await connection.DisposeAsync();
                    return;
                }
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }

            _lease = connection;
        }

        // Who holds what, as PostgreSQL sees it: node slots (live nodes) and partition locks.
        var takenByAnyone = new bool[_partitions];
        var perHolder = new Dictionary<int, int>(); // backend pid -> partitions it holds
        int nodes = 0;
        await using (var locks = new NpgsqlCommand(
            "SELECT classid::int8, objid::int8, pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2 " +
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND classid::int8 IN (@p, @n)", _lease))
        {
            locks.Parameters.AddWithValue("p", (long)PartitionClass);
            locks.Parameters.AddWithValue("n", (long)NodeClass);
            await using var reader = await locks.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                long cls = reader.GetInt64(0), obj = reader.GetInt64(1);
                if (cls == NodeClass)
                {
                    nodes++;
                }
                else if (obj >= 0 && obj < _partitions)
                {
                    takenByAnyone[obj] = true;
                    int pid = reader.GetInt32(2);
                    perHolder[pid] = perHolder.GetValueOrDefault(pid) + 1;
                }
            }
        }

        nodes = Math.Max(1, nodes);
        Volatile.Write(ref _nodes, nodes);
        // Fair share: every node between floor(P/N) and ceil(P/N). Free partitions are taken up to the ceiling; a node
        // above the floor lets one go per tick while another live node is below it and nothing is free (else 22, 22, 20
        // of 64 on three nodes would stay so).
        int ceiling = (_partitions + nodes - 1) / nodes;
        int floor = _partitions / nodes;
        int held = HeldCount;
        int free = takenByAnyone.Count(t => !t);
        int lowest = perHolder.Count < nodes ? 0 : perHolder.Values.DefaultIfEmpty(0).Min();
        bool justReleased = Stopwatch.GetElapsedTime(_releasedAt) < TimeSpan.FromMilliseconds(3 * _cluster.LeaseTickMs);
        if (held < ceiling && free > 0 && (held < floor || !justReleased)) // not straight back what was just let go
        {
            // Free partitions, from a node-specific starting point so nodes that start together mostly try different ones.
            var candidates = Enumerable.Range(0, _partitions)
                .Select(i => (i + _node * 7919) % _partitions)
                .Where(p => !takenByAnyone[p] && !_held[p])
                .Take(ceiling - held)
                .ToArray();
            if (candidates.Length > 0)
            {
                await AcquireAsync(candidates, ct);
            }
        }
        else if (held > ceiling || (held > floor && free == 0 && lowest < floor))
        {
            // Gently: a few per tick (one when only evening out), the least busy first.
            int release = held > ceiling ? Math.Min(held - ceiling, Math.Max(1, _partitions / 16)) : 1;
            var surplus = Enumerable.Range(0, _partitions).Where(p => _held[p]).OrderBy(p => Volatile.Read(ref _inflight[p])).Take(release).ToArray();
            await ReleaseAsync(surplus, TimeSpan.FromSeconds(2), ct);
        }
    }

    private async Task AcquireAsync(int[] candidates, CancellationToken ct)
    {
        var got = new List<int>();
        await using (var take = new NpgsqlCommand("SELECT p FROM unnest(@ps) AS p WHERE pg_try_advisory_lock(@class, p)", _lease))
        {
            take.Parameters.AddWithValue("ps", candidates);
            take.Parameters.AddWithValue("class", PartitionClass);
            await using var reader = await take.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                got.Add(reader.GetInt32(0));
            }
        }

        if (got.Count == 0)
        {
            return;
        }

        foreach (int p in got)
        {
            _held[p] = true;
        }

        // Tell the others where these partitions are now (only a lock holder writes its partitions' rows).
        await using (var claim = new NpgsqlCommand(
            "INSERT INTO room_partitions (partition, node_id, internal_url, epoch, since) SELECT p, @node, @url, 1, @now FROM unnest(@ps) AS p " +
            "ON CONFLICT (partition) DO UPDATE SET node_id = excluded.node_id, internal_url = excluded.internal_url, " +
            "epoch = room_partitions.epoch + 1, since = excluded.since", _lease))
        {
            claim.Parameters.AddWithValue("ps", got.ToArray());
            claim.Parameters.AddWithValue("node", _node);
            claim.Parameters.AddWithValue("url", _internalUrl.ToString());
            claim.Parameters.AddWithValue("now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await claim.ExecuteNonQueryAsync(ct);
        }

        foreach (int p in got)
        {
            Interlocked.Exchange(ref _accepting[p], 1);
        }

        ClusterLog.PartitionsTaken(_log, got.Count, HeldCount, _partitions, Nodes);
    }

    /// <summary>
    /// Lets partitions go: no new write accepted for them, the ones in progress finish (up to <paramref name="wait"/>),
    /// their rows cleared, their locks released.
    /// </summary>
    private async Task ReleaseAsync(int[] partitions, TimeSpan wait, CancellationToken ct)
    {
        foreach (int p in partitions)
        {
            Interlocked.Exchange(ref _accepting[p], 0);
        }

        var deadline = Stopwatch.StartNew();
        while (partitions.Any(p => Volatile.Read(ref _inflight[p]) > 0) && deadline.Elapsed < wait)
        {
            await Task.Delay(5, CancellationToken.None);
        }

        await using (var clear = new NpgsqlCommand(
            "UPDATE room_partitions SET node_id = NULL, internal_url = NULL WHERE partition = ANY(@ps) AND node_id = @node", _lease))
        {
            clear.Parameters.AddWithValue("ps", partitions);
            clear.Parameters.AddWithValue("node", _node);
            await clear.ExecuteNonQueryAsync(ct);
        }

        await using (var unlock = new NpgsqlCommand("SELECT count(*) FROM unnest(@ps) AS p WHERE pg_advisory_unlock(@class, p)", _lease))
        {
            unlock.Parameters.AddWithValue("ps", partitions);
            unlock.Parameters.AddWithValue("class", PartitionClass);
            await unlock.ExecuteScalarAsync(ct);
        }

        foreach (int p in partitions)
        {
            _held[p] = false;
        }

        _releasedAt = Stopwatch.GetTimestamp();
        ClusterLog.PartitionsReleased(_log, partitions.Length, HeldCount, _partitions, Nodes);
    }

    /// <summary>The lease session is gone (or going): nothing is owned any more.</summary>
    private void DropAll()
    {
        for (int p = 0; p < _partitions; p++)
        {
            Interlocked.Exchange(ref _accepting[p], 0);
            _held[p] = false;
        }

        var lease = _lease;
        _lease = null;
        lease?.Dispose(); // ends the session: any lock it still had is released by PostgreSQL
    }

    /// <summary>
    /// Graceful drain (SIGTERM): every partition is let go first — new writes go to the other nodes, which take the
    /// partitions on their next tick — after the writes in progress here have finished.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        await base.StopAsync(cancellationToken); // the tick loop ends; the lease connection is ours alone from here
        if (_lease is not null)
        {
            var held = Enumerable.Range(0, _partitions).Where(p => _held[p]).ToArray();
            try
            {
                if (held.Length > 0)
                {
                    await ReleaseAsync(held, TimeSpan.FromSeconds(5), cancellationToken);
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or System.IO.IOException or OperationCanceledException)
            {
                ClusterLog.LeaseConnectionLost(_log, held.Length, e);
            }
        }

        DropAll();
    }

    public override void Dispose()
    {
        DropAll();
        _mapRead.Dispose();
        base.Dispose();
    }
}
