using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public abstract class OrderingTests(TestBackend backend) : IAsyncLifetime
{
    /// <summary>The backend this run of the suite is on (one subclass per backend, at the end of the file).</summary>
    protected TestBackend Backend { get; } = backend;

    private readonly LimeServer _server = new(backend);

    public ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(Backend);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Hundred_concurrent_senders_produce_a_gap_free_order_that_every_member_receives_and_history_repeats()
    {
        const int senders = 100;
        const int perSender = 100;
        const int total = senders * perSender;

        var users = await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => _server.NewUserAsync("s")));
        var room = await users[0].Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "load", Members: users.Skip(1).Select(u => u.Id).ToArray()));
        var sockets = await Task.WhenAll(users.Select(u => u.ConnectAsync()));
        try
        {
            // Every device collects its message events from the moment it connected.
            var receivers = sockets.Select(s => Wait.ForEventsAsync(s.Events, total, e => e.Room == room.Id && e.Kind == EventKinds.Message, TimeSpan.FromMinutes(3))).ToArray();

            var acks = await Task.WhenAll(sockets.Select(async (socket, i) =>
            {
                var mine = new List<AckDto>(perSender);
                for (int n = 0; n < perSender; n++)
                {
                    mine.Add(await socket.SendMessageAsync(room.Id, $"{i}-{n}", $"message {n} from sender {i}"));
                }

                return mine;
            }));

            var allAcks = acks.SelectMany(a => a).ToList();
            Assert.Equal(total, allAcks.Count);
            var seqs = allAcks.Select(a => a.Seq).Order().ToArray();
            Assert.Equal(Enumerable.Range(2, total).Select(s => (long)s), seqs); // seq 1 is room_created
            Assert.Equal(total, allAcks.Select(a => a.Id).Distinct().Count());

            // Each sender's own messages are in the order it sent them.
            foreach (var mine in acks)
            {
                Assert.Equal(mine.Select(a => a.Seq).Order(), mine.Select(a => a.Seq));
            }

            var received = await Task.WhenAll(receivers);
            foreach (var stream in received)
            {
                Assert.Equal(seqs, stream.Select(e => e.Seq));
            }

            // History, paged forward, returns the same order with the same ids.
            var history = new List<EventDto>();
            long after = 1;
            while (true)
            {
                var page = await users[1].Http.GetHistoryAsync(room.Id, after: after, limit: 200);
                history.AddRange(page.Events);
                if (!page.HasMoreAfter)
                {
                    break;
                }

                after = page.Events[^1].Seq;
            }

            Assert.Equal(seqs, history.Select(e => e.Seq));
            Assert.Equal(received[0].Select(e => e.Id), history.Select(e => e.Id));
            Assert.Equal(received[0].Select(e => e.Text), history.Select(e => e.Text));
        }
        finally
        {
            await Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask()));
        }
    }
}

public sealed class SqliteOrderingTests() : OrderingTests(TestBackend.Sqlite);

public sealed class PostgresOrderingTests() : OrderingTests(TestBackend.PostgresRedis);
