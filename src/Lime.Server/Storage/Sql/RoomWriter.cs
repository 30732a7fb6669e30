using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Lime.Protocol;
using Lime.Server.Chat;
using Lime.Server.Diagnostics;
using Lime.Server.Fanout;
using Microsoft.Extensions.Options;

namespace Lime.Server.Storage.Sql;

/// <summary>
/// This node's writer for rooms, with group commit: writes queue up while the previous commit is being made
/// durable, then up to <see cref="StorageOptions.MaxBatch"/> of them go into the next transaction (in room order,
/// so concurrent writers on other nodes lock rooms in the same order). A caller's task completes only after that
/// transaction has committed and the backend confirms it durable (<see cref="CommitConfirmed"/>); then the batch's
/// events are published to the fanout in seq order. Each room write reads the room row first (locking it where
/// several processes write) and assigns seq = last_seq + 1, so seqs are gap-free.
/// </summary>
public abstract partial class RoomWriter : IRoomWriter, IHostedService, IDisposable
{
    private readonly ISqlDatabase _db;
    private readonly IFanout _fanout;
    private readonly Snowflake _ids;
    private readonly ILogger _log;
    private readonly int _maxBatch;
    private readonly TimeSpan _ackTimeout;
    private readonly MessageOptions _messages;
    private readonly LimeMetrics _metrics;
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(65_536)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private DbConnection? _connection;
    private Statements? _sql;
    private IMessageRunSql? _runSql;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;
    private DbTransaction? _transaction; // the batch's, while it is applied

    protected RoomWriter(ISqlDatabase db, IFanout fanout, Snowflake ids, LimeMetrics metrics, IOptions<LimeOptions> options, ILogger log)
    {
        _metrics = metrics;
        _db = db;
        _fanout = fanout;
        _ids = ids;
        _log = log;
        _maxBatch = options.Value.Storage.MaxBatch;
        _ackTimeout = TimeSpan.FromSeconds(options.Value.Storage.AckTimeoutSeconds);
        _messages = options.Value.Messages;
        _searchEnabled = options.Value.Search.Enabled;
        _messageTopics = _searchEnabled ? [OutboxTopics.Message, OutboxTopics.Search] : [OutboxTopics.Message];
    }

    /// <summary>Search indexing on: messages, edits and deletes write a <c>search</c> outbox row in their commit.</summary>
    private readonly bool _searchEnabled;
    private readonly string[] _messageTopics;

    /// <summary>Called on the writer's connection inside each batch transaction just before COMMIT.</summary>
    protected virtual void BeforeCommit(DbConnection connection, DbTransaction transaction)
    {
    }

    /// <summary>
    /// Whether the COMMIT that just returned is durable as the backend promises (e.g. reached every synchronous
    /// standby). If not, the batch's callers are told it is not confirmed, and nothing is published.
    /// </summary>
    protected virtual bool CommitConfirmed(DbConnection connection) => true;

    /// <summary>
    /// Called on the writer's connection after a batch was committed and its callers answered, outside any
    /// transaction (housekeeping that must not interleave with other writes of this writer). An exception is logged.
    /// </summary>
    protected virtual void AfterBatch(DbConnection connection)
    {
    }

    /// <summary>Opens the writer's connection (again after a failure).</summary>
    protected virtual DbConnection Open() => _db.OpenConnection();

    /// <summary>Whole-run statements for consecutive messages on this connection, or null to write them one by one.</summary>
    private protected virtual IMessageRunSql? CreateMessageRunSql(DbConnection connection) => null;

    public async Task<RoomWriteResult> WriteAsync(RoomWrite write, CancellationToken ct = default)
    {
        // A recorded span of the caller (a traced send) gets a commit span under it (Diagnostics/LimeTracing.cs).
        var pending = new Pending(write) { Trace = Activity.Current is { Recorded: true } caller ? caller : null };
        if (!_queue.Writer.TryWrite(pending))
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, ct);
            }
            catch (ChannelClosedException)
            {
                throw new LimeException(ErrorCodes.Unavailable, "The server is shutting down.");
            }
        }

        // Not cancelled with the caller once queued: the write may commit. Past the deadline the caller hears
        // "not confirmed" (the commit itself is never cancelled); a retry with the same client_msg_id resolves it.
        try
        {
            return await pending.Completion.Task.WaitAsync(_ackTimeout, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            throw NotConfirmed();
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A thread of its own: commits block on fsync (or the standby), which must not tie up the thread pool.
        _thread = new Thread(Run) { IsBackground = true, Name = "lime-room-writer" };
        _thread.Start();
        return Task.CompletedTask;
    }

    private static LimeException NotConfirmed() => new(ErrorCodes.Unavailable,
        "The write was not confirmed durable in time; its outcome is unknown. Retry with the same client_msg_id.");

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_thread is not null)
        {
            await _stopped.Task.WaitAsync(cancellationToken);
        }
    }

    public void Dispose()
    {
        ResetConnection();
        GC.SuppressFinalize(this);
    }

    private void ResetConnection()
    {
        _sql?.Dispose();
        _sql = null;
        _runSql?.Dispose();
        _runSql = null;
        _connection?.Dispose();
        _connection = null;
    }

    private void Run()
    {
        try
        {
            RunBatches();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void RunBatches()
    {
        var batch = new List<Pending>(_maxBatch);
        var reader = _queue.Reader;
        while (reader.TryPeek(out _) || reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (batch.Count < _maxBatch && reader.TryRead(out var p))
            {
                batch.Add(p);
            }

            // Room order (stable: one room's writes keep their order) so that writers on several nodes lock rooms in
            // the same order and cannot deadlock.
            var ordered = CoalesceJoins([.. batch.OrderBy(p => p.Write.RoomKey)]);
            try
            {
                Commit(ordered);
            }
            catch (Exception e)
            {
                Log.CommitFailed(_log, e);
                _metrics.Committed(CommitResult.Failed, batch.Count, 0);
                ResetConnection();
                foreach (var p in batch)
                {
                    p.Completion.TrySetException(new LimeException(ErrorCodes.Unavailable, "The message store is unavailable; the outcome is unknown. Retry with the same client_msg_id."));
                }
            }

            batch.Clear();
            if (_connection is { } connection)
            {
                try
                {
                    AfterBatch(connection);
                }
                catch (Exception e)
                {
                    Log.AfterBatchFailed(_log, e);
                }
            }
        }
    }

    /// <summary>Applies and commits a batch; on an unexpected failure retries each write alone so one cannot sink the rest.</summary>
    private void Commit(List<Pending> batch)
    {
        try
        {
            ApplyAndCommit(batch);
        }
        catch (Exception e) when (e is not LimeException && e is not CommitNotConfirmedException && batch.Count > 1)
        {
            Log.BatchRetriedSingly(_log, batch.Count, e);
            _metrics.Committed(CommitResult.Failed, batch.Count, 0);
            ResetConnection();
            foreach (var p in batch)
            {
                try
                {
                    ApplyAndCommit([p]);
                }
                catch (CommitNotConfirmedException)
                {
                    p.Fail(NotConfirmed());
                }
                catch (Exception single) when (single is not LimeException)
                {
                    Log.CommitFailed(_log, single);
                    _metrics.Committed(CommitResult.Failed, 1, 0);
                    ResetConnection();
                    p.Fail(new LimeException(ErrorCodes.Unavailable, "The write failed; its outcome is unknown. Retry with the same client_msg_id."));
                }
            }
        }
        catch (CommitNotConfirmedException)
        {
            foreach (var p in batch)
            {
                p.Fail(NotConfirmed());
            }
        }
    }

    private void ApplyAndCommit(IReadOnlyList<Pending> batch)
    {
        long started = Stopwatch.GetTimestamp();
        DateTimeOffset? traceStart = LimeTracing.Source.HasListeners() ? DateTimeOffset.UtcNow : null;
        _connection ??= Open();
        _sql ??= new Statements(_connection, _db.Dialect);
        var sql = _sql;
        _runSql ??= CreateMessageRunSql(_connection);
        IMessageRunSql runs = _runSql ?? sql; // the backend's whole-run statements, else one statement per row
        using (var tx = _connection.BeginTransaction())
        {
            sql.Enlist(tx);
            _transaction = tx;
            for (int i = 0; i < batch.Count;)
            {
                int end = i;
                while (end < batch.Count && batch[end].Write is AppendMessage)
                {
                    end++;
                }

                if (end > i)
                {
                    ApplyMessageRun(runs, tx, batch, i, end);
                    i = end;
                    continue;
                }

                var p = batch[i++];
                p.Result = null;
                p.Error = null;
                try
                {
                    // Every Apply* validates before its first write, so a LimeException leaves nothing behind.
                    p.Result = p.Write switch
                    {
                        CreateRoom c => ApplyCreateRoom(sql, c),
                        AddMembers a => ApplyAddMembers(sql, a),
                        RemoveMember r => ApplyRemoveMember(sql, r),
                        SetRole s => ApplySetRole(sql, s),
                        MarkRead r => ApplyMarkRead(sql, r),
                        RoomOperation o => ApplyOperation(sql, tx, o),
                        JoinRoom j => ApplyJoinRoom(sql, tx, j),
                        SetBlock b => ApplySetBlock(tx, b),
                        _ => throw new InvalidOperationException($"Unknown write {p.Write.GetType().Name}"),
                    };
                }
                catch (LimeException e)
                {
                    p.Error = e;
                }
            }

            BeforeCommit(_connection, tx);
            tx.Commit();
        }

        if (!CommitConfirmed(_connection))
        {
            Log.CommitNotConfirmed(_log, batch.Count);
            _metrics.Committed(CommitResult.NotConfirmed, batch.Count, started);
            TraceCommits(batch, traceStart, confirmed: false);
            throw new CommitNotConfirmedException();
        }

        _metrics.Committed(CommitResult.Ok, batch.Count, started);
        var commits = TraceCommits(batch, traceStart, confirmed: true);

        // Durable from here on. Publish in seq order, then answer the callers.
        var events = new List<EventDto>();
        List<ActivityContext?>? eventCommits = commits is null ? null : [];
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch[i].Result is { Events.Count: > 0 } r)
            {
                events.AddRange(r.Events);
                for (int e = 0; e < r.Events.Count && eventCommits is not null; e++)
                {
                    eventCommits.Add(commits![i]);
                }
            }
        }

        if (events.Count > 0)
        {
            _fanout.Publish(eventCommits is null ? events : new TracedEvents(events, [.. eventCommits], DateTimeOffset.UtcNow));
        }

        foreach (var p in batch)
        {
            if (p.Error is not null)
            {
                p.Fail(p.Error);
            }
            else
            {
                p.Succeed(p.Result!);
            }
        }
    }

    /// <summary>
    /// Consecutive messages batch[start..end), the one place the rules for a message live: a retry gets the first ack;
    /// no room → not found; not a member → forbidden; reply_to must precede it; @room needs the right (mentions of
    /// non-members are dropped); attachments must be the sender's unused uploads. Seqs are assigned in order from each
    /// locked room's last seq, then everything is written at once (with whole-run statements where the backend has them).
    /// </summary>
    private void ApplyMessageRun(IMessageRunSql runSql, DbTransaction tx, IReadOnlyList<Pending> batch, int start, int end)
    {
        var run = new List<AppendMessage>(end - start);
        for (int i = start; i < end; i++)
        {
            run.Add((AppendMessage)batch[i].Write);
        }

        // Rooms first: once locked, any concurrent writer of the same retry (another node) has committed, so the
        // duplicate lookup that follows sees it.
        var states = runSql.LockRooms(tx, run);
        var stored = runSql.FindDuplicates(tx, run);
        var lastSeq = new Dictionary<long, long>();
        var inRun = new Dictionary<(long, long, string), AckDto>();
        var rows = new MessageRunRows { OutboxTopics = _messageTopics };
        var mentioning = new List<(int Pending, int Row)>();
        var uploads = ReadUploads(tx, run);
        var taken = new HashSet<long>();
        var bound = new List<(long Id, long Room, long Seq)>();
        for (int i = start; i < end; i++)
        {
            var p = batch[i];
            var m = (AppendMessage)p.Write;
            p.Result = null;
            p.Error = null;
            var key = (m.RoomId, m.SenderId, m.ClientMsgId);
            if (stored.TryGetValue(key, out var d))
            {
                p.Result = new RoomWriteResult(null, [], new AckDto(Id(d.Id), m.RoomId, d.Seq, d.CreatedAt, m.ClientMsgId, Duplicate: true));
                continue;
            }

            if (inRun.TryGetValue(key, out var first))
            {
                p.Result = new RoomWriteResult(null, [], first with { Duplicate = true });
                continue;
            }

            if (!states.TryGetValue((m.RoomId, m.SenderId), out var state))
            {
                p.Error = LimeException.NotFound("No such room.");
                continue;
            }

            if (state.Role is null)
            {
                p.Error = LimeException.Forbidden("You are not a member of this room.");
                continue;
            }

            if (Refusal(state) is { } refused)
            {
                p.Error = refused;
                continue;
            }

            long last = lastSeq.TryGetValue(m.RoomId, out long l) ? l : state.LastSeq;
            if (m.ReplyTo is { } replyTo && (replyTo < 1 || replyTo > last))
            {
                p.Error = LimeException.Validation("reply_to must be the seq of an earlier event in this room.");
                continue;
            }

            if (m.MentionRoom && RoomMentionRefusal(state) is { } noRoomMention)
            {
                p.Error = noRoomMention;
                continue;
            }

            AttachmentDto[]? files = null;
            if (m.Attachments is not null && (files = TakeUploads(m, uploads, taken)) is null)
            {
                p.Error = AttachmentRefused();
                continue;
            }

            long seq = last + 1;
            lastSeq[m.RoomId] = seq;
            long now = Now();
            long id = _ids.Next();
            var e = new EventDto(Id(id), m.RoomId, seq, EventKinds.Message, m.SenderId, now, m.Text, m.ReplyTo, m.ClientMsgId, Attachments: files);
            foreach (long upload in m.Attachments ?? [])
            {
                bound.Add((upload, m.RoomId, seq));
            }

            rows.Rooms.Add(m.RoomId);
            rows.Seqs.Add(seq);
            rows.Ids.Add(id);
            rows.Senders.Add(m.SenderId);
            rows.ClientMsgIds.Add(m.ClientMsgId);
            rows.Texts.Add(m.Text);
            rows.ReplyTos.Add(m.ReplyTo);
            rows.CreatedAts.Add(now);
            rows.Datas.Add(files is null ? null : EventData.Serialize(e)); // mentions, when any, rewrite it below
            if (m.MentionRoom || m.Mentions is { Length: > 0 })
            {
                mentioning.Add((i, rows.Count - 1));
            }

            rows.RoomAdvances[m.RoomId] = (seq, now);
            rows.ReadAdvances[(m.RoomId, m.SenderId)] = seq; // sending implies having read everything before it
            var ack = new AckDto(e.Id, m.RoomId, seq, now, m.ClientMsgId, Duplicate: false);
            inRun[key] = ack;
            p.Result = new RoomWriteResult(null, [e], ack);
        }

        if (mentioning.Count > 0)
        {
            ResolveMentions(tx, batch, rows, mentioning);
        }

        BindUploads(tx, bound);
        if (rows.Count > 0)
        {
            runSql.Write(tx, rows);
        }
    }

    private RoomWriteResult ApplyCreateRoom(Statements sql, CreateRoom c)
    {
        if (c.DirectKey is not null && sql.FindDirect(c.DirectKey) is { } existing)
        {
            return new RoomWriteResult(sql.GetRoom(existing), [], null);
        }

        long now = Now();
        long[] members = [c.CreatorId, .. c.MemberIds.Where(u => u != c.CreatorId).Distinct()];
        long roomId = sql.InsertRoom(c, now, members.Length);
        long id = _ids.Next();
        var e = new EventDto(Id(id), roomId, 1, EventKinds.RoomCreated, c.CreatorId, now, Users: members, Name: c.Name);
        sql.InsertEvent(e, id);
        foreach (long user in members)
        {
            string role = c.Kind == RoomKinds.Direct ? Roles.Member : user == c.CreatorId ? Roles.Owner : Roles.Member;
            sql.InsertMember(roomId, user, role, now, 1);
        }

        return new RoomWriteResult(sql.GetRoom(roomId), [e], null);
    }

    private RoomWriteResult ApplyAddMembers(Statements sql, AddMembers a)
    {
        var state = sql.RoomAndMember(a.RoomId, a.ActorId) ?? throw LimeException.NotFound("No such room.");
        long[] toAdd = a.UserIds.Distinct().Where(u => sql.RoomAndMember(a.RoomId, u)?.Role is null).ToArray();
        if (BannedAmong(a.RoomId, toAdd) is { Length: > 0 } banned)
        {
            // A join of a banned user (checked before, banned meanwhile) is left out of its batch; an add is refused.
            toAdd = a.EventKind == EventKinds.MembersJoined ? [.. toAdd.Except(banned)]
                : throw new LimeException(ErrorCodes.Banned, "Banned from this room until unbanned: " + string.Join(", ", banned));
        }

        if (toAdd.Length == 0)
        {
            return new RoomWriteResult(sql.GetRoom(a.RoomId), [], null);
        }

        if (state.MemberCount + toAdd.Length > a.MaxMembers)
        {
            throw LimeException.Validation($"The room would exceed its limit of {a.MaxMembers} members.");
        }

        long seq = state.LastSeq + 1;
        long now = Now();
        long id = _ids.Next();
        var e = new EventDto(Id(id), a.RoomId, seq, a.EventKind, a.ActorId, now, Users: toAdd);
        sql.InsertEvent(e, id);
        foreach (long user in toAdd)
        {
            sql.InsertMember(a.RoomId, user, Roles.Member, now, seq);
        }

        sql.AdvanceRoom(a.RoomId, seq, now, isMessage: false, memberDelta: toAdd.Length);
        return new RoomWriteResult(sql.GetRoom(a.RoomId), [e], null);
    }

    private RoomWriteResult ApplyRemoveMember(Statements sql, RemoveMember r)
    {
        var state = sql.RoomAndMember(r.RoomId, r.UserId) ?? throw LimeException.NotFound("No such room.");
        if (state.Role is null)
        {
            throw LimeException.NotFound("That user is not a member of this room.");
        }

        if (r.PromoteToOwner is { } heir && sql.RoomAndMember(r.RoomId, heir)?.Role is null)
        {
            throw LimeException.Conflict("The member chosen as the new owner has left; try again.");
        }

        long now = Now();
        long seq = state.LastSeq + 1;
        long id = _ids.Next();
        var left = new EventDto(Id(id), r.RoomId, seq, r.EventKind, r.ActorId, now, Users: [r.UserId]);
        sql.InsertEvent(left, id);
        sql.DeleteMember(r.RoomId, r.UserId);
        var events = new List<EventDto> { left };
        if (r.PromoteToOwner is { } newOwner)
        {
            seq++;
            long id2 = _ids.Next();
            var promoted = new EventDto(Id(id2), r.RoomId, seq, EventKinds.RoleChanged, r.ActorId, now, Users: [newOwner], Role: Roles.Owner);
            sql.InsertEvent(promoted, id2);
            sql.UpdateRole(r.RoomId, newOwner, Roles.Owner);
            events.Add(promoted);
        }

        sql.AdvanceRoom(r.RoomId, seq, now, isMessage: false, memberDelta: -1);
        return new RoomWriteResult(sql.GetRoom(r.RoomId), events, null);
    }

    private RoomWriteResult ApplySetRole(Statements sql, SetRole s)
    {
        var state = sql.RoomAndMember(s.RoomId, s.UserId) ?? throw LimeException.NotFound("No such room.");
        if (state.Role is null)
        {
            throw LimeException.NotFound("That user is not a member of this room.");
        }

        if (state.Role == s.Role)
        {
            return new RoomWriteResult(sql.GetRoom(s.RoomId), [], null);
        }

        long now = Now();
        long seq = state.LastSeq + 1;
        long id = _ids.Next();
        var e = new EventDto(Id(id), s.RoomId, seq, EventKinds.RoleChanged, s.ActorId, now, Users: [s.UserId], Role: s.Role);
        sql.InsertEvent(e, id);
        sql.UpdateRole(s.RoomId, s.UserId, s.Role);
        sql.AdvanceRoom(s.RoomId, seq, now, isMessage: false, memberDelta: 0);
        return new RoomWriteResult(sql.GetRoom(s.RoomId), [e], null);
    }

    private static RoomWriteResult ApplyMarkRead(Statements sql, MarkRead r)
    {
        var state = sql.RoomAndMember(r.RoomId, r.UserId) ?? throw LimeException.NotFound("No such room.");
        long current = state.Role is null ? throw LimeException.Forbidden("You are not a member of this room.") : sql.ReadSeq(r.RoomId, r.UserId);
        long target = Math.Min(r.Seq, state.LastSeq);
        if (target <= current)
        {
            return new RoomWriteResult(null, [], null, current, ReadMoved: false);
        }

        sql.AdvanceReadSeq(r.RoomId, r.UserId, target);
        return new RoomWriteResult(null, [], null, target, ReadMoved: true);
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Commit spans for the traced writes of a batch (null when none is traced), by position in the batch.</summary>
    private static ActivityContext?[]? TraceCommits(IReadOnlyList<Pending> batch, DateTimeOffset? start, bool confirmed)
    {
        if (start is not { } began)
        {
            return null;
        }

        ActivityContext?[]? commits = null;
        var end = DateTimeOffset.UtcNow;
        for (int i = 0; i < batch.Count; i++)
        {
            foreach (var trace in batch[i].Traces())
            {
                if (LimeTracing.RecordCommit(trace.Context, began, end, batch.Count, confirmed) is { } commit)
                {
                    (commits ??= new ActivityContext?[batch.Count])[i] ??= commit;
                }
            }
        }

        return commits;
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The COMMIT returned but the backend could not confirm it durable (e.g. replication wait cancelled).</summary>
    private sealed class CommitNotConfirmedException : Exception;

    private sealed class Pending(RoomWrite write)
    {
        public RoomWrite Write { get; set; } = write;
        public TaskCompletionSource<RoomWriteResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public RoomWriteResult? Result { get; set; }
        public LimeException? Error { get; set; }

        /// <summary>The caller's span, when it is traced.</summary>
        public Activity? Trace { get; init; }

        /// <summary>The traced callers: this write's and its followers'.</summary>
        public IEnumerable<Activity> Traces()
        {
            if (Trace is { } own)
            {
                yield return own;
            }

            foreach (var f in Followers ?? [])
            {
                if (f.Trace is { } follower)
                {
                    yield return follower;
                }
            }
        }

        /// <summary>Writes folded into this one (joins to the same room in one batch); they share its outcome.</summary>
        public List<Pending>? Followers { get; set; }

        public void Succeed(RoomWriteResult result)
        {
            Completion.TrySetResult(result);
            Followers?.ForEach(f => f.Completion.TrySetResult(result));
        }

        public void Fail(Exception error)
        {
            Completion.TrySetException(error);
            Followers?.ForEach(f => f.Completion.TrySetException(error));
        }
    }

    /// <summary>
    /// Folds adjacent joins to the same room (the batch is in room order) into one write: a burst of people joining
    /// a large channel becomes one members_joined event listing them all, not one event each.
    /// </summary>
    private static List<Pending> CoalesceJoins(List<Pending> ordered)
    {
        var result = new List<Pending>(ordered.Count);
        foreach (var p in ordered)
        {
            if (p.Write is AddMembers { EventKind: EventKinds.MembersJoined } join
                && result.Count > 0
                && result[^1].Write is AddMembers { EventKind: EventKinds.MembersJoined } lead
                && lead.RoomId == join.RoomId)
            {
                result[^1].Write = lead with { UserIds = [.. lead.UserIds, .. join.UserIds] };
                (result[^1].Followers ??= []).Add(p);
            }
            else
            {
                result.Add(p);
            }
        }

        return result;
    }
}
