using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public abstract class IdempotencyTests(TestBackend backend) : IAsyncLifetime
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
    public async Task The_same_client_message_id_sent_five_times_concurrently_stores_one_message_with_one_ack()
    {
        var alice = await _server.NewUserAsync();
        var bob = await _server.NewUserAsync();
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        await using var s1 = await alice.ConnectAsync();
        var second = await alice.NewDeviceAsync();
        await using var s2 = await second.ConnectAsync();

        string clientId = Guid.NewGuid().ToString();
        var attempts = new List<Task<AckDto>>
        {
            s1.SendMessageAsync(room.Id, clientId, "hello"),
            s1.SendMessageAsync(room.Id, clientId, "hello"),
            s2.SendMessageAsync(room.Id, clientId, "hello"),
            alice.Http.SendAsync(room.Id, new SendMessageRequest(clientId, "hello")),
            second.Http.SendAsync(room.Id, new SendMessageRequest(clientId, "hello")),
        };
        var acks = await Task.WhenAll(attempts).Within();

        Assert.Single(acks.Select(a => (a.Id, a.Seq, a.Ts)).Distinct());
        Assert.Single(acks, a => !a.Duplicate);

        // A later retry (after the first commit) gets the same ack again.
        var late = await alice.Http.SendAsync(room.Id, new SendMessageRequest(clientId, "hello"));
        Assert.Equal((acks[0].Id, acks[0].Seq), (late.Id, late.Seq));
        Assert.True(late.Duplicate);

        var history = await bob.Http.GetHistoryAsync(room.Id);
        Assert.Single(history.Events, e => e.Kind == EventKinds.Message);
    }

    [Fact]
    public async Task The_same_client_message_id_from_another_sender_is_a_different_message()
    {
        var alice = await _server.NewUserAsync();
        var bob = await _server.NewUserAsync();
        var room = await alice.Http.CreateDirectAsync(bob.Id);
        var a = await alice.Http.SendAsync(room.Id, new SendMessageRequest("same", "from alice"));
        var b = await bob.Http.SendAsync(room.Id, new SendMessageRequest("same", "from bob"));
        Assert.NotEqual(a.Seq, b.Seq);
        Assert.False(b.Duplicate);
    }
}

public sealed class SqliteIdempotencyTests() : IdempotencyTests(TestBackend.Sqlite);

public sealed class PostgresIdempotencyTests() : IdempotencyTests(TestBackend.PostgresRedis);
