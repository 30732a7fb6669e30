using Lime.Protocol;
using Lime.Server.Storage;
using Microsoft.Extensions.Options;

namespace Lime.Server.Push;

/// <summary>
/// Turns outbox entries into pushes. A <c>message</c> entry: the store's candidates, filtered by
/// <see cref="PushAudience"/>, each get a notification keyed <c>m:{room}:{seq}:{target}</c>; keys already in the
/// ledger are skipped (a redelivery pushes nothing twice); the collapse window lets the first through and folds the
/// rest into a digest; the survivors are sent concurrently. A <c>push_digest</c> entry: one push "N new messages"
/// keyed <c>d:{target}:{window end}</c>. A token the service calls invalid is removed. The entry is done when every
/// push went out (or was dropped), retried if any failed for now, dead-lettered if one was refused outright.
/// </summary>
public sealed class PushHandler(
    IPushStore store,
    IPushLedger ledger,
    IRoomStore rooms,
    PushProviders providers,
    PushAudience audience,
    PushComposer composer,
    PushMetrics metrics,
    IOptions<LimeOptions> options,
    TimeProvider time,
    ILogger<PushHandler> log) : IOutboxHandler, IDisposable
{
    private readonly PushOptions _options = options.Value.Push;
    private readonly SemaphoreSlim _sends = new(options.Value.Push.MaxConcurrentSends, options.Value.Push.MaxConcurrentSends);

    public IReadOnlyCollection<string> Topics { get; } = [OutboxTopics.Message, SqlPushLedger.DigestTopic];

    public bool Active => _options.Enabled && providers.Kinds.Count > 0;

    public async Task<OutboxOutcome[]> HandleAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken ct)
    {
        var outcomes = Enumerable.Repeat(OutboxOutcome.Done, entries.Count).ToArray();
        if (!Active)
        {
            return outcomes; // nothing to push through: the entries are drained
        }

        var now = time.GetUtcNow();
        long nowMs = now.ToUnixTimeMilliseconds();
        var plans = await PlanAsync(entries, now, ct);
        if (plans.Count == 0)
        {
            return outcomes;
        }

        var seen = await ledger.SeenAsync(plans.Select(p => p.Key).ToList(), ct);
        plans.RemoveAll(p => seen.Contains(p.Key));

        if (_options.CollapseWindowMs > 0)
        {
            var messages = plans.Where(p => p.Message is not null).ToList();
            var decisions = await ledger.DecideAsync(
                messages.Select(p => new WindowRequest(p.Key, p.Target.Id, p.Message!.RoomId)).ToList(), nowMs, _options.CollapseWindowMs, ct);
            var collapsed = messages.Where((_, i) => decisions[i] == WindowDecision.Collapsed).ToHashSet();
            plans.RemoveAll(collapsed.Contains);
            metrics.Collapsed(collapsed.Count);
        }

        var badges = await store.UnreadTotalsAsync(plans.Select(p => p.Target.UserId).Distinct().ToList(), ct);
        var sent = await Task.WhenAll(plans.Select(p => SendAsync(p, badges.GetValueOrDefault(p.Target.UserId), ct)));
        await RecordAsync(sent, nowMs, ct);

        foreach (var s in sent)
        {
            if (s.Result is { } r)
            {
                outcomes[s.Plan.Index] = Merge(outcomes[s.Plan.Index], r);
            }
        }

        return outcomes;
    }

    public void Dispose() => _sends.Dispose();

    private async Task<List<Plan>> PlanAsync(IReadOnlyList<OutboxEntry> entries, DateTimeOffset now, CancellationToken ct)
    {
        var plans = new List<Plan>();
        var connected = audience.ConnectedSnapshot();
        long nowMs = now.ToUnixTimeMilliseconds();
        int suppressed = 0;
        // One query finds every candidate of the batch's messages; most entries usually have none.
        var messageIds = entries.Where(e => e.Topic == OutboxTopics.Message).Select(e => e.Id).ToList();
        var candidates = (await store.RecipientsAsync(messageIds, nowMs, ct)).ToDictionary(m => m.EntryId);
        for (int i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Topic == OutboxTopics.Message)
            {
                if (!candidates.TryGetValue(entry.Id, out var found))
                {
                    continue;
                }

                foreach (var r in found.Recipients)
                {
                    if (providers.For(r.Target.Kind) is null)
                    {
                        PushLog.ProviderMissing(log, r.Target.Id, r.Target.Kind);
                        suppressed++;
                    }
                    else if (!audience.ShouldPush(found.Message, r, connected, now))
                    {
                        suppressed++;
                    }
                    else
                    {
                        plans.Add(new Plan(i, r.Target, $"m:{entry.RoomId}:{entry.Seq}:{r.Target.Id}", found.Message, null, entry.Seq));
                    }
                }
            }
            else if (entry.TargetId is { } targetId
                && await store.GetTargetAsync(targetId, ct) is { } target
                && providers.For(target.Kind) is not null
                && await ledger.GetDigestAsync(targetId, ct) is { Pending: > 0 } digest)
            {
                plans.Add(new Plan(i, target, $"d:{targetId}:{entry.Seq}", null, digest, entry.Seq));
            }
        }

        metrics.Suppressed(suppressed);
        return plans;
    }

    private async Task<Sent> SendAsync(Plan plan, long badge, CancellationToken ct)
    {
        // The gate covers the reads as well as the request: a large batch never floods the store or the service.
        await _sends.WaitAsync(ct);
        try
        {
            return await ComposeAndSendAsync(plan, badge, ct);
        }
        finally
        {
            _sends.Release();
        }
    }

    private async Task<Sent> ComposeAndSendAsync(Plan plan, long badge, CancellationToken ct)
    {
        var provider = providers.For(plan.Target.Kind)!;
        long userId = plan.Target.UserId;
        PushNotification notification;
        if (plan.Message is { } m)
        {
            notification = composer.Message(plan.Key, m, badge);
        }
        else
        {
            var digest = plan.Digest!;
            var (count, title) = await DigestContentAsync(digest, userId, badge, ct);
            if (count == 0)
            {
                return new Sent(plan, null); // read meanwhile: nothing to say
            }

            notification = PushComposer.Digest(plan.Key, digest.MultiRoom ? null : digest.RoomId, plan.Seq, title, count, badge);
        }

        PushResult result;
        try
        {
            result = await provider.SendAsync(plan.Target, notification, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            result = PushResult.Retry($"{provider.Kind} provider failed: {e.GetType().Name}: {e.Message}");
        }

        metrics.Notification(provider.Kind, result.Status);
        if (result.Status is PushStatus.Retry or PushStatus.Rejected)
        {
            PushLog.SendFailed(log, provider.Kind, plan.Target.Id, result.Error ?? "");
        }

        return new Sent(plan, result);
    }

    /// <summary>How many new messages a digest reports — the member's unread count in its room, or the badge when it spans rooms — and its title.</summary>
    private async Task<(long Count, string? Title)> DigestContentAsync(DigestState digest, long userId, long badge, CancellationToken ct)
    {
        if (digest.MultiRoom || digest.RoomId is not { } roomId)
        {
            return (badge, null);
        }

        var member = await rooms.GetMemberAsync(roomId, userId, ct);
        var room = await rooms.GetRoomAsync(roomId, ct);
        if (member is null || room is null)
        {
            return (0, null);
        }

        long count = await rooms.CountUnreadAsync(roomId, userId, member.ReadSeq, ct);
        string? title = room.Kind == RoomKinds.Direct
            ? (await store.GetMessageAsync(roomId, room.LastMsgSeq, ct))?.SenderName
            : room.Name;
        return (count, title);
    }

    /// <summary>Writes what the sends came to: keys of delivered pushes, removed targets, completed digests.</summary>
    private async Task RecordAsync(Sent[] sent, long now, CancellationToken ct)
    {
        var keys = new List<(string, string)>();
        var invalid = new Dictionary<long, PushTarget>();
        foreach (var s in sent)
        {
            switch (s.Result?.Status)
            {
                case PushStatus.Delivered when s.Plan.Message is not null:
                    keys.Add((s.Plan.Key, LedgerOutcomes.Sent));
                    break;
                case PushStatus.TokenInvalid:
                    keys.Add((s.Plan.Key, LedgerOutcomes.Dropped));
                    invalid[s.Plan.Target.Id] = s.Plan.Target;
                    break;
            }
        }

        await ledger.RecordAsync(keys, now, ct);
        if (invalid.Count > 0)
        {
            await store.RemoveTargetsAsync(invalid.Keys, ct);
            foreach (var (plan, result) in sent.Where(s => s.Result?.Status == PushStatus.TokenInvalid))
            {
                PushLog.TargetRemoved(log, plan.Target.Id, plan.Target.Kind, plan.Target.DeviceId, result!.Value.Error ?? "invalid");
            }
        }

        foreach (var s in sent.Where(s => s.Plan.Digest is not null && s.Result?.Status is null or PushStatus.Delivered))
        {
            await ledger.CompleteDigestAsync(s.Plan.Target.Id, s.Plan.Digest!.Pending, s.Plan.Key, now, _options.CollapseWindowMs, ct);
        }
    }

    /// <summary>Retry beats fail beats done: a push that may still go out keeps the entry alive.</summary>
    private static OutboxOutcome Merge(OutboxOutcome current, PushResult result) => result.Status switch
    {
        PushStatus.Retry when current.Kind != OutboxOutcomeKind.Retry => OutboxOutcome.Retry(result.Error ?? "retry", result.RetryAfter),
        PushStatus.Retry => current with { RetryAfter = Max(current.RetryAfter, result.RetryAfter) },
        PushStatus.Rejected when current.Kind == OutboxOutcomeKind.Done => OutboxOutcome.Fail(result.Error ?? "rejected"),
        _ => current,
    };

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;

    /// <summary>One push to make: for entry <see cref="Index"/>, to <see cref="Target"/>, a message or a digest.</summary>
    private sealed record Plan(int Index, PushTarget Target, string Key, PushMessage? Message, DigestState? Digest, long Seq);

    private sealed record Sent(Plan Plan, PushResult? Result);
}
