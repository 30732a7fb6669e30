using System.Diagnostics;
using System.Globalization;
using Lime.Client;
using Lime.Protocol;
using Spectre.Console;

namespace Lime.Bench;

/// <summary>
/// catchup: one user with --rooms direct rooms (a peer in each). Each iteration its device disconnects, the peers
/// send --messages in total across the rooms (acked), then the device reconnects and fetches everything after its
/// last seq in every room. --mode sync (default): one sync frame with the device's cursors (limit_per_room
/// --limit-per-room); a room with has_more continues with history after its last event, a room answered with a
/// snapshot (too far behind) is paged with history from its cursor. --mode history: history after=last, limit
/// 200, in every room at once, paging while has_more_after (the client loop before sync existed). Measured:
/// reconnect start → last missed message received. Exit 1 if anything is missing.
/// </summary>
internal static class CatchupScenario
{
    private const int PageSize = 200;
    private const int MaxPagesPerRoom = 100_000;
    private const int SendWindow = 64;
    private static readonly TimeSpan IterationTimeout = TimeSpan.FromSeconds(60);
    private static long s_messageIds;

    public static async Task<int> RunAsync(BenchOptions o, Nodes nodes, IAnsiConsole console, CancellationToken ct)
    {
        var progress = new ProgressLine(console);
        var result = await progress.RunAsync(() => RunCoreAsync(o, nodes, progress, ct));
        Report.Catchup(console, result);
        if (result.Errors.ContainsKey(ErrorCodes.RateLimited))
        {
            Hints.RateLimited(console);
        }

        if (o.Json)
        {
            Console.Out.WriteLine(result.ToJson());
        }

        if (!result.Correct)
        {
            console.MarkupLine($"[red bold]FAILED[/]: {result.Missing} missed messages were not returned by history");
            return 1;
        }

        console.MarkupLine("[green]correct[/]: every missed message came back from history, contiguous and in seq order");
        return 0;
    }

    private static async Task<CatchupResult> RunCoreAsync(BenchOptions o, Nodes nodes, ProgressLine progress, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        int k = o.Rooms;
        progress.Set($"setup: registering {k + 1} users");
        var users = await Population.RegisterAsync(nodes, Population.NewTag(), k + 1, ct);
        var me = users[0];
        var peers = users[1..];
        progress.Set($"setup: creating {k} direct rooms");
        var rooms = await Population.CreateDirectRoomsAsync(peers.Select(p => (me, p)).ToArray(), ct);
        var peerSockets = await Population.ConnectAsync(peers, ct);
        var drains = peerSockets.Select(DrainAsync).ToList();
        long[] lastSeq = rooms.Select(r => r.LastSeq).ToArray();
        var mine = await me.ConnectAsync(ct);
        drains.Add(DrainAsync(mine));
        progress.Log($"setup: 1 user with {k} direct rooms, {k} peer sockets in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        progress.Log($"catchup: {o.Messages} messages across {k} rooms while away, {o.Iterations} iterations, mode {o.Mode}"
            + (o.Mode == "sync" ? $" (limit_per_room {o.LimitPerRoom})" : " (history limit 200)"));

        var machineStart = MachineLoad.Read();
        var errors = new ErrorTally();
        var time = new LatencyRecorder();
        long fetched = 0, missing = 0, pages = 0, snapshots = 0;
        double totalMs = 0;
        int done = 0;
        try
        {
            for (int it = 0; it < o.Iterations && !ct.IsCancellationRequested; it++)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(IterationTimeout);
                var token = timeout.Token;

                progress.Set($"catchup {it + 1}/{o.Iterations}: device offline, peers sending {o.Messages} messages");
                await mine.DisposeAsync();
                var sends = rooms.Select((room, r) => SendAsync(
                    peerSockets[r], room.Id, (o.Messages / k) + (r < o.Messages % k ? 1 : 0), o.MessageBytes, errors, token));
                long[] expectedLast = await Task.WhenAll(sends);

                progress.Set($"catchup {it + 1}/{o.Iterations}: reconnecting and fetching");
                long t0 = Stopwatch.GetTimestamp();
                mine = await me.ConnectAsync(token);
                var socket = mine;
                var pulled = o.Mode == "sync"
                    ? await SyncAsync(socket, rooms, lastSeq, expectedLast, o.LimitPerRoom, errors, token)
                    : await Task.WhenAll(rooms.Select((room, r) => FetchAsync(socket, room.Id, lastSeq[r], Math.Max(lastSeq[r], expectedLast[r]), errors, token)));
                long elapsed = Stopwatch.GetTimestamp() - t0;
                drains.Add(DrainAsync(mine));

                time.Record(elapsed);
                time.Sample();
                double ms = elapsed * 1000.0 / Stopwatch.Frequency;
                totalMs += ms;
                done++;
                for (int r = 0; r < k; r++)
                {
                    fetched += pulled[r].Count;
                    missing += pulled[r].Missing;
                    pages += pulled[r].Pages;
                    snapshots += pulled[r].Snapshot ? 1 : 0;
                    lastSeq[r] = Math.Max(pulled[r].Last, expectedLast[r]);
                }

                progress.Set(string.Create(CultureInfo.InvariantCulture, $"catchup {it + 1}/{o.Iterations}: {ms:F1} ms, p99 so far {time.Summarize().P99:F1} ms"));
            }
        }
        finally
        {
            await Population.CloseAllAsync([mine, .. peerSockets]);
            await Task.WhenAll(drains);
        }

        return new CatchupResult(o.Mode, k, o.Messages, done, fetched, missing, pages, snapshots, done == 0 ? 0 : totalMs / done, time.Summarize(), errors.Snapshot())
        {
            Machine = MachineLoad.Between(machineStart, MachineLoad.Read()),
        };
    }

    /// <summary>One peer sends <paramref name="count"/> messages, at most <see cref="SendWindow"/> in flight; returns the highest acked seq.</summary>
    private static async Task<long> SendAsync(LimeSocket socket, long room, int count, int size, ErrorTally errors, CancellationToken ct)
    {
        long maxSeq = 0;
        var window = new List<Task<AckDto>>(SendWindow);
        for (int sent = 0; sent < count;)
        {
            window.Clear();
            for (; window.Count < SendWindow && sent < count; sent++)
            {
                string id = Interlocked.Increment(ref s_messageIds).ToString(CultureInfo.InvariantCulture);
                window.Add(socket.SendMessageAsync(room, id, MessageText.Create(Stopwatch.GetTimestamp(), size), ct: ct));
            }

            foreach (var send in window)
            {
                try
                {
                    maxSeq = Math.Max(maxSeq, (await send).Seq);
                }
                catch (LimeSocketException e)
                {
                    errors.Add(e.Code);
                }
            }
        }

        return maxSeq;
    }

    /// <summary>
    /// One sync frame with the device's cursor in every room; rooms with more (has_more) continue with history after
    /// their last event, rooms answered with a snapshot are paged with history from the cursor. A sync round trip
    /// counts as one page of every room it answered in full (pages = round trips).
    /// </summary>
    private static async Task<(long Count, long Last, long Pages, long Missing, bool Snapshot)[]> SyncAsync(
        LimeSocket socket, RoomDto[] rooms, long[] lastSeq, long[] expectedLast, int limit, ErrorTally errors, CancellationToken ct)
    {
        var cursors = rooms.Select((room, r) => new SyncCursor(room.Id, lastSeq[r])).ToArray();
        var reply = await socket.SyncAsync(cursors, limit, ct);
        var byRoom = new Dictionary<long, SyncRoom>(reply.Rooms.Length);
        foreach (var sr in reply.Rooms)
        {
            byRoom[sr.Room.Id] = sr;
        }

        var results = rooms.Select(async (room, r) =>
        {
            long expected = Math.Max(lastSeq[r], expectedLast[r]);
            var seen = new Contiguity(lastSeq[r]);
            if (!byRoom.TryGetValue(room.Id, out var sr))
            {
                errors.Add("sync_room_missing");
                return seen.Result(expected, r == 0 ? 1 : 0, snapshot: false);
            }

            if (sr.Snapshot)
            {
                return await PageAsync(socket, room.Id, seen, expected, r == 0 ? 1 : 0, true, errors, ct);
            }

            seen.Accept(sr.Events, errors);
            return sr.HasMore && sr.Events.Length > 0
                ? await PageAsync(socket, room.Id, seen, expected, r == 0 ? 1 : 0, false, errors, ct)
                : seen.Result(expected, r == 0 ? 1 : 0, snapshot: false);
        });
        return await Task.WhenAll(results);
    }

    /// <summary>Pages forward from <paramref name="after"/> until the server says there is nothing more; checks contiguity.</summary>
    private static Task<(long Count, long Last, long Pages, long Missing, bool Snapshot)> FetchAsync(
        LimeSocket socket, long room, long after, long expectedLast, ErrorTally errors, CancellationToken ct) =>
        PageAsync(socket, room, new Contiguity(after), expectedLast, 0, false, errors, ct);

    private static async Task<(long Count, long Last, long Pages, long Missing, bool Snapshot)> PageAsync(
        LimeSocket socket, long room, Contiguity seen, long expectedLast, long pages, bool snapshot, ErrorTally errors, CancellationToken ct)
    {
        for (int n = 0; n < MaxPagesPerRoom; n++)
        {
            var page = await socket.HistoryAsync(room, after: seen.Next - 1, limit: PageSize, ct: ct);
            pages++;
            seen.Accept(page.Events, errors);
            if (page.Events.Length == 0 || !page.HasMoreAfter)
            {
                break;
            }
        }

        return seen.Result(expectedLast, pages, snapshot);
    }

    /// <summary>Events of one room must arrive as seq after, after + 1, …: counts them and the gaps.</summary>
    private sealed class Contiguity(long after)
    {
        private long _count;
        private long _missing;

        public long Next { get; private set; } = after + 1;

        public void Accept(EventDto[] events, ErrorTally errors)
        {
            foreach (var e in events)
            {
                if (e.Seq > Next)
                {
                    _missing += e.Seq - Next;
                }
                else if (e.Seq < Next)
                {
                    errors.Add("history_out_of_order");
                    continue;
                }

                Next = e.Seq + 1;
                _count++;
            }
        }

        public (long Count, long Last, long Pages, long Missing, bool Snapshot) Result(long expectedLast, long pages, bool snapshot)
        {
            long missing = _missing + (Next <= expectedLast ? expectedLast - Next + 1 : 0);
            return (_count, Next - 1, pages, missing, snapshot);
        }
    }

    /// <summary>Reads and drops a socket's live events (peers get their own messages back) until it closes.</summary>
    private static async Task DrainAsync(LimeSocket socket)
    {
        try
        {
            var reader = socket.Events;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out _))
                {
                }
            }
        }
        catch (LimeSocketException)
        {
            // The client gave the connection up; nothing more to drain.
        }
    }
}
