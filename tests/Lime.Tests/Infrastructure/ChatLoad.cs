using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using Lime.Client;
using Lime.Protocol;
using Npgsql;

namespace Lime.Tests.Infrastructure;

/// <summary>The node addresses clients know of; replaced when nodes are restarted elsewhere (e.g. after a failover).</summary>
public sealed class NodeDirectory
{
    private volatile Uri[] _nodes = [];

    public NodeDirectory(LimeCluster cluster) => Refresh(cluster);

    public IReadOnlyList<Uri> Nodes => _nodes;

    public void Refresh(LimeCluster cluster) => _nodes = [.. cluster.Nodes.Select(n => n.BaseAddress)];

    public static Uri WebSocketUri(Uri node) => new UriBuilder(node) { Scheme = "ws", Path = "/ws" }.Uri;
}

/// <summary>
/// A client's connect function for <see cref="LimeSession"/>: the node that worked last, then the others in turn,
/// each attempt bounded by 2 s (a dead node refuses at once, a frozen one times out).
/// </summary>
public sealed class NodeRotation(NodeDirectory directory, int home, string token)
{
    private static readonly LimeSocketOptions Options = new() { HeartbeatInterval = TimeSpan.FromSeconds(1) };
    private int _current = home;

    /// <summary>The node index of the last successful connection.</summary>
    public int Current => Volatile.Read(ref _current);

    public async Task<LimeSocket> ConnectAsync(CancellationToken ct)
    {
        var nodes = directory.Nodes;
        Exception? last = null;
        int start = Current;
        for (int i = 0; i < nodes.Count; i++)
        {
            int node = (start + i) % nodes.Count;
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                var socket = await LimeSocket.ConnectAsync(NodeDirectory.WebSocketUri(nodes[node]), token, Options, attempt.Token);
                Volatile.Write(ref _current, node);
                return socket;
            }
            catch (Exception e) when (!ct.IsCancellationRequested
                && e is WebSocketException or LimeSocketException or OperationCanceledException or HttpRequestException or IOException)
            {
                last = e;
            }
        }

        throw new IOException("No node accepted the connection.", last);
    }
}

/// <summary>One user's only device: a reconnecting <see cref="LimeSession"/> in one room.</summary>
public sealed class ChatDevice(long userId, string username, string token, long room, int home, NodeDirectory directory)
{
    private int _inFlight;

    public long UserId { get; } = userId;
    public string Username { get; } = username;
    public string Token { get; } = token;
    public long Room { get; } = room;
    public int Home { get; } = home;
    public NodeRotation Rotation { get; } = new(directory, home, token);
    public LimeSession Session { get; private set; } = null!;
    public bool Sends { get; init; } = true;
    public int InFlight => Volatile.Read(ref _inFlight);

    public void Start()
    {
        Session = new LimeSession(Rotation.ConnectAsync, TimeSpan.FromSeconds(1));
        Session.Start();
    }

    internal void Began() => Interlocked.Increment(ref _inFlight);

    internal void Ended() => Interlocked.Decrement(ref _inFlight);
}

public enum SendOutcome
{
    Unknown,
    Acked,
    Failed,
}

/// <summary>One message handed to a device's outbox, and what became of it.</summary>
public sealed class SendRecord(string clientMsgId, ChatDevice device, DateTime startedAt)
{
    public string ClientMsgId { get; } = clientMsgId;
    public ChatDevice Device { get; } = device;
    public long Room => Device.Room;
    public DateTime StartedAt { get; } = startedAt;
    public AckDto? Ack { get; internal set; }
    public DateTime? AckedAt { get; internal set; }
    public string? Error { get; internal set; }
    public Task Completion { get; internal set; } = Task.CompletedTask;

    public SendOutcome Outcome => Ack is not null ? SendOutcome.Acked : Error is not null ? SendOutcome.Failed : SendOutcome.Unknown;
}

/// <summary>
/// Chat traffic on a <see cref="LimeCluster"/>: rooms whose members are spread over the nodes, each member one
/// <see cref="LimeSession"/> device, messages sent at a steady rate through the sessions' outboxes. Every send is
/// recorded (acked / failed / unknown) and every device keeps its timeline, so a test can check afterwards that
/// nothing acknowledged was lost and nothing was stored or shown twice.
/// </summary>
public sealed class ChatLoad : IAsyncDisposable
{
    private readonly ConcurrentQueue<SendRecord> _sends = new();
    private long _sequence;

    private ChatLoad(LimeCluster cluster, NodeDirectory directory, List<ChatDevice> devices, List<long> rooms)
    {
        Cluster = cluster;
        Directory = directory;
        Devices = devices;
        Rooms = rooms;
    }

    public LimeCluster Cluster { get; }
    public NodeDirectory Directory { get; }
    public IReadOnlyList<ChatDevice> Devices { get; }
    public IReadOnlyList<long> Rooms { get; }
    public IReadOnlyCollection<SendRecord> Sends => _sends;

    /// <summary>Called (on a pool thread) for every acknowledgement, as it arrives.</summary>
    public Action<SendRecord>? OnAck { get; set; }

    /// <summary>Sends not offered because every sender had its in-flight limit of messages outstanding.</summary>
    public long Throttled { get; private set; }

    /// <summary>
    /// Registers <paramref name="rooms"/> × <paramref name="membersPerRoom"/> users (member k of a room lives on node
    /// k mod nodes, so every room spans the nodes), creates a group per room and starts every device, waiting until
    /// all are live. <paramref name="sends"/> says which member indexes send (default: all).
    /// </summary>
    public static async Task<ChatLoad> StartAsync(LimeCluster cluster, int rooms, int membersPerRoom, Func<int, bool>? sends = null)
    {
        var directory = new NodeDirectory(cluster);
        int nodes = cluster.Nodes.Count;
        var devices = new List<ChatDevice>();
        var roomIds = new List<long>();
        for (int r = 0; r < rooms; r++)
        {
            var users = await Task.WhenAll(Enumerable.Range(0, membersPerRoom).Select(k => cluster.NewUserAsync(k % nodes, "load")));
            var owner = users[0].Http;
            owner.AccessToken = users[0].Tokens.AccessToken;
            var room = await owner.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "load " + r, Members: [.. users.Skip(1).Select(u => u.Tokens.User.Id)]));
            roomIds.Add(room.Id);
            for (int k = 0; k < membersPerRoom; k++)
            {
                devices.Add(new ChatDevice(users[k].Tokens.User.Id, users[k].Tokens.User.Username, users[k].Tokens.AccessToken, room.Id, k % nodes, directory)
                {
                    Sends = sends?.Invoke(k) ?? true,
                });
            }
        }

        var load = new ChatLoad(cluster, directory, devices, roomIds);
        foreach (var device in devices)
        {
            device.Start();
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (devices.Any(d => d.Session.State != SessionState.Live || d.Session.Timeline(d.Room).Count == 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        if (devices.Any(d => d.Session.State != SessionState.Live))
        {
            throw new TimeoutException($"{devices.Count(d => d.Session.State != SessionState.Live)} of {devices.Count} devices did not go live within 60 s.");
        }

        return load;
    }

    /// <summary>
    /// Offers <paramref name="perSecond"/> messages a second (round robin over the sending devices) for
    /// <paramref name="duration"/> or until <paramref name="stop"/>; a device with <paramref name="maxInFlight"/>
    /// unacknowledged messages is skipped (counted in <see cref="Throttled"/> when nobody can take one).
    /// </summary>
    public async Task RunAsync(double perSecond, TimeSpan duration, int maxInFlight = 32, CancellationToken stop = default)
    {
        var senders = Devices.Where(d => d.Sends).ToList();
        var clock = Stopwatch.StartNew();
        long offered = 0;
        int next = 0;
        while (clock.Elapsed < duration && !stop.IsCancellationRequested)
        {
            long due = (long)(clock.Elapsed.TotalSeconds * perSecond);
            int skipped = 0;
            while (offered < due && skipped < senders.Count)
            {
                var device = senders[next++ % senders.Count];
                if (device.InFlight >= maxInFlight || device.Session.State == SessionState.Stopped)
                {
                    skipped++;
                    continue;
                }

                skipped = 0;
                Send(device);
                offered++;
            }

            if (offered < due)
            {
                Throttled += due - offered;
                offered = due;
            }

            await Task.Delay(5, CancellationToken.None);
        }
    }

    /// <summary>Hands one message to a device's outbox and records its fate.</summary>
    public SendRecord Send(ChatDevice device)
    {
        string id = "m" + Interlocked.Increment(ref _sequence).ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var record = new SendRecord(id, device, DateTime.UtcNow);
        _sends.Enqueue(record);
        device.Began();
        record.Completion = device.Session.SendAsync(device.Room, "text of " + id, clientMsgId: id).ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    record.AckedAt = DateTime.UtcNow;
                    record.Ack = t.Result;
                    OnAck?.Invoke(record);
                }
                else if (t.IsFaulted)
                {
                    record.Error = t.Exception?.InnerException is LimeSocketException e ? e.Code : t.Exception?.InnerException?.GetType().Name;
                }

                device.Ended();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return record;
    }

    /// <summary>Waits (bounded) until every send has an outcome; those still pending are unknown.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        try
        {
            await Task.WhenAll(_sends.Select(s => s.Completion)).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // Reported as unknown.
        }
    }

    public int Count(SendOutcome outcome) => _sends.Count(s => s.Outcome == outcome);

    /// <summary>Waits (bounded) until every device's timeline ends at its room's last seq in the store; returns how long it took, or null.</summary>
    public async Task<TimeSpan?> WaitForTimelinesAsync(string store, TimeSpan timeout)
    {
        var last = new Dictionary<long, long>();
        foreach (long room in Rooms)
        {
            var events = await LimeCluster.EventsAsync(store, room).Within();
            last[room] = events.Count > 0 ? events[^1].Seq : 0;
        }

        return await WaitForTimelinesAsync(last, timeout);
    }

    /// <summary>Waits (bounded) until every device's timeline reaches <paramref name="target"/> seq of its room.</summary>
    public async Task<TimeSpan?> WaitForTimelinesAsync(IReadOnlyDictionary<long, long> target, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Devices.All(d => LastSeq(d) >= target.GetValueOrDefault(d.Room)))
            {
                return clock.Elapsed;
            }

            await Task.Delay(10);
        }

        return null;
    }

    public static long LastSeq(ChatDevice device)
    {
        var timeline = device.Session.Timeline(device.Room);
        return timeline.Count > 0 ? timeline[^1].Seq : 0;
    }

    /// <summary>The highest acknowledged seq per room among acks received before <paramref name="before"/>.</summary>
    public Dictionary<long, long> AckedSeqs(DateTime before) =>
        Rooms.ToDictionary(r => r, r => _sends.Where(s => s.Room == r && s.Ack is not null && s.AckedAt < before).Select(s => s.Ack!.Seq).DefaultIfEmpty(0).Max());

    /// <summary>
    /// Checks the record against the stores (each given as name → connection string) and the devices' timelines:
    /// lost = acknowledged but absent (or stored under another seq/id) from a store or a member's timeline;
    /// duplicates = a client_msg_id or id twice in a store or a timeline; timelines must be contiguous, in seq
    /// order, identical for all members and equal to the first store. Returns every problem found (empty = clean).
    /// </summary>
    public async Task<List<string>> VerifyAsync(IReadOnlyList<(string Name, string ConnectionString)> stores)
    {
        var problems = new List<string>();
        var acked = _sends.Where(s => s.Ack is not null).ToList();
        var byRoom = acked.GroupBy(s => s.Room).ToDictionary(g => g.Key, g => g.ToList());
        foreach (long room in Rooms)
        {
            List<(long Seq, string Id, string? ClientMsgId)>? reference = null;
            foreach (var (name, cs) in stores)
            {
                var events = await LimeCluster.EventsAsync(cs, room).Within();
                reference ??= events;
                var byClientId = events.Where(e => e.ClientMsgId is not null).GroupBy(e => e.ClientMsgId!).ToDictionary(g => g.Key, g => g.ToList());
                foreach (var dup in byClientId.Where(g => g.Value.Count > 1))
                {
                    problems.Add($"duplicate in {name}: room {room} client_msg_id {dup.Key} stored {dup.Value.Count} times (seqs {string.Join(',', dup.Value.Select(e => e.Seq))})");
                }

                foreach (var dup in events.GroupBy(e => e.Id).Where(g => g.Count() > 1))
                {
                    problems.Add($"duplicate in {name}: room {room} id {dup.Key} stored {dup.Count()} times");
                }

                foreach (var send in byRoom.GetValueOrDefault(room) ?? [])
                {
                    if (!byClientId.TryGetValue(send.ClientMsgId, out var rows))
                    {
                        problems.Add($"lost from {name}: room {room} acked {send.ClientMsgId} (seq {send.Ack!.Seq}, id {send.Ack.Id}) is not stored");
                    }
                    else if (rows[0].Seq != send.Ack!.Seq || rows[0].Id != send.Ack.Id)
                    {
                        problems.Add($"mismatch in {name}: room {room} {send.ClientMsgId} acked as seq {send.Ack.Seq}/id {send.Ack.Id}, stored as seq {rows[0].Seq}/id {rows[0].Id}");
                    }
                }

                if (!events.Select(e => e.Seq).SequenceEqual(Enumerable.Range(1, events.Count).Select(i => (long)i)))
                {
                    problems.Add($"{name}: room {room} seqs are not 1..{events.Count}");
                }

                if (!events.Select(e => (e.Seq, e.Id)).SequenceEqual(reference.Select(e => (e.Seq, e.Id))))
                {
                    problems.Add($"{name} differs from {stores[0].Name} in room {room}: {events.Count} vs {reference.Count} events");
                }
            }

            foreach (var device in Devices.Where(d => d.Room == room))
            {
                var timeline = device.Session.Timeline(room);
                string who = $"user {device.UserId} (home node {device.Home}, now node {device.Rotation.Current})";
                var ids = timeline.Select(e => e.Id).ToHashSet();
                var clientIds = timeline.Where(e => e.ClientMsgId is not null).GroupBy(e => e.ClientMsgId!).ToDictionary(g => g.Key, g => g.Count());
                foreach (var send in byRoom.GetValueOrDefault(room) ?? [])
                {
                    if (!ids.Contains(send.Ack!.Id))
                    {
                        problems.Add($"lost from the timeline of {who}: room {room} acked {send.ClientMsgId} (seq {send.Ack.Seq})");
                    }
                }

                foreach (var dup in clientIds.Where(c => c.Value > 1))
                {
                    problems.Add($"duplicate in the timeline of {who}: {dup.Key} {dup.Value} times");
                }

                if (ids.Count != timeline.Count)
                {
                    problems.Add($"duplicate ids in the timeline of {who}");
                }

                if (timeline.Count > 0 && !timeline.Select(e => e.Seq).SequenceEqual(Enumerable.Range(1, timeline.Count).Select(i => (long)i)))
                {
                    problems.Add($"the timeline of {who} is not seq 1..{timeline.Count} in order");
                }

                if (!timeline.Select(e => (e.Seq, e.Id)).SequenceEqual(reference!.Select(e => (e.Seq, e.Id))))
                {
                    problems.Add($"the timeline of {who} differs from {stores[0].Name}: {timeline.Count} vs {reference!.Count} events in room {room}");
                }
            }
        }

        return problems;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var device in Devices)
        {
            if (device.Session is { } session)
            {
                await session.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Checks, as acknowledgements arrive, that each acknowledged message is on the primary and on the standby.
/// With <c>synchronous_commit = remote_apply</c> (the test cluster's setting) an acknowledged row must be visible on
/// the standby at the first look; with <c>on</c> an ack means the standby has flushed the WAL and replaying it may
/// trail by a moment, so a row not yet visible is looked for again for up to 2 s (the longest wait is reported).
/// </summary>
public sealed class AckChecker : IAsyncDisposable
{
    private readonly System.Threading.Channels.Channel<SendRecord> _acks = System.Threading.Channels.Channel.CreateUnbounded<SendRecord>();
    private readonly Func<string> _primary;
    private readonly Func<string> _standby;
    private readonly TimeSpan _replayGrace;
    private readonly Task _loop;

    private AckChecker(Func<string> primary, Func<string> standby, TimeSpan replayGrace)
    {
        _primary = primary;
        _standby = standby;
        _replayGrace = replayGrace;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Starts checking; the replay grace follows the primary's <c>synchronous_commit</c>.</summary>
    public static async Task<AckChecker> StartAsync(Func<string> primary, Func<string> standby)
    {
        await using var connection = new NpgsqlConnection(primary());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('synchronous_commit')", connection);
        bool applied = (string?)await command.ExecuteScalarAsync().Within() == "remote_apply";
        return new AckChecker(primary, standby, applied ? TimeSpan.Zero : TimeSpan.FromSeconds(2));
    }

    public ConcurrentQueue<string> Problems { get; } = new();
    public int Checked { get; private set; }
    public int Unchecked { get; private set; }
    public int VisibleAtFirstLook { get; private set; }
    public TimeSpan LongestReplayWait { get; private set; }

    public void Add(SendRecord ack) => _acks.Writer.TryWrite(ack);

    public async ValueTask DisposeAsync()
    {
        _acks.Writer.TryComplete();
        await _loop.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private async Task RunAsync()
    {
        var reader = _acks.Reader;
        while (await reader.WaitToReadAsync())
        {
            // A look every 250 ms at most: the check is the same (rows never leave the standby once applied) and the
            // checker does not compete with the writers for the two cores.
            await Task.Delay(250);
            var batch = new List<SendRecord>();
            while (batch.Count < 20_000 && reader.TryRead(out var ack))
            {
                batch.Add(ack);
            }

            var ids = batch.Select(b => long.Parse(b.Ack!.Id, CultureInfo.InvariantCulture)).ToArray();
            var first = DateTime.UtcNow;
            HashSet<long> onPrimary, onStandby;
            try
            {
                onPrimary = await StoredIdsAsync(_primary(), ids);
                onStandby = await StoredIdsAsync(_standby(), ids);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // A database is down (the fault under test): these acks are checked by the final verification only.
                Unchecked += batch.Count;
                continue;
            }

            var missing = ids.Where(i => !onStandby.Contains(i)).ToHashSet();
            VisibleAtFirstLook += ids.Length - missing.Count;
            while (missing.Count > 0 && DateTime.UtcNow - first < _replayGrace)
            {
                await Task.Delay(10);
                try
                {
                    missing.ExceptWith(await StoredIdsAsync(_standby(), [.. missing]));
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    // Checked again on the next turn.
                }

                if (missing.Count == 0)
                {
                    LongestReplayWait = TimeSpan.FromTicks(Math.Max(LongestReplayWait.Ticks, (DateTime.UtcNow - first).Ticks));
                }
            }

            foreach (var b in batch)
            {
                long id = long.Parse(b.Ack!.Id, CultureInfo.InvariantCulture);
                if (!onPrimary.Contains(id))
                {
                    Problems.Enqueue($"acked {b.ClientMsgId} (id {id}) is not on the primary right after its ack");
                }

                if (missing.Contains(id))
                {
                    Problems.Enqueue($"acked {b.ClientMsgId} (id {id}) is not on the standby {(_replayGrace == TimeSpan.Zero ? "right after its ack (remote_apply)" : $"within {_replayGrace.TotalSeconds} s of its ack")}");
                }
            }

            Checked += batch.Count;
        }
    }

    public static async Task<HashSet<long>> StoredIdsAsync(string connectionString, long[] ids)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM events WHERE id = ANY(@ids)", connection) { CommandTimeout = 30 };
        command.Parameters.AddWithValue("ids", ids);
        var found = new HashSet<long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            found.Add(reader.GetInt64(0));
        }

        return found;
    }
}
