using System.Net;
using System.Text;
using Lime.Protocol;
using Lime.Server;
using Lime.Server.Auth;
using Lime.Server.Chat;
using Lime.Server.Cluster;
using Lime.Server.Storage;
using Lime.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lime.Tests.Cluster;

/// <summary>
/// The internal channel on one in-process node: a forwarded write is applied by the node's writer and answered with
/// its result or its refusal (the same exception); a request without the cluster's key is 401 and stores nothing;
/// the public listener does not serve the internal path.
/// </summary>
public sealed class ForwardChannelTests
{
    private static readonly Uri Owner = new("http://127.0.0.1:59990/");

    private static LimeServer NewServer() => new(new Dictionary<string, string?> { ["Lime:Cluster:InternalUrl"] = "http://127.0.0.1:59990" });

    /// <summary>The node's own forward client, its HTTP going to the in-process server.</summary>
    private static ForwardClient ClientFor(LimeServer server, InternalChannel? channel = null) =>
        new(new InProcess(server), channel ?? server.Services.GetRequiredService<InternalChannel>(),
            server.Services.GetRequiredService<IOptions<LimeOptions>>(), NullLogger<ForwardClient>.Instance);

    [Fact]
    public async Task A_forwarded_write_is_applied_and_its_refusal_crosses_unchanged()
    {
        await using var server = NewServer();
        var alice = await server.NewUserAsync();
        var stranger = await server.NewUserAsync();
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "forwarded")).Within();
        using var client = ClientFor(server);

        var outcomes = await client.SendAsync(Owner, new ForwardBatch(room.Id, [
            new AppendMessage(room.Id, alice.Id, "f-1", "first over the channel", null),
            new AppendMessage(room.Id, alice.Id, "f-2", "second", null),
            new AppendMessage(room.Id, stranger.Id, "f-3", "not a member", null),
            new AppendMessage(room.Id, alice.Id, "f-1", "first over the channel", null),
        ])).Within();

        Assert.Equal(4, outcomes.Length);
        var first = outcomes[0].Result!.Ack!;
        var second = outcomes[1].Result!.Ack!;
        Assert.Equal(first.Seq + 1, second.Seq); // queued in the batch's order
        Assert.Equal(ErrorCodes.Forbidden, outcomes[2].Error!.Code);
        Assert.True(outcomes[3].Result!.Ack!.Duplicate);
        Assert.Equal(first.Id, outcomes[3].Result!.Ack!.Id);

        var history = await alice.Http.GetHistoryAsync(room.Id).Within();
        var messages = history.Events.Where(e => e.Kind == "message").ToList();
        Assert.Equal(["f-1", "f-2"], messages.Select(e => e.ClientMsgId));
        Assert.Equal("first over the channel", messages[0].Text);

        // The refusal the owner's writer gave is rethrown as the same exception on the forwarding node.
        var refused = outcomes[2].Error!.ToException();
        var direct = await Assert.ThrowsAsync<LimeException>(() =>
            server.Services.GetRequiredService<IRoomWriter>().WriteAsync(new AppendMessage(room.Id, stranger.Id, "direct", "x", null)));
        Assert.Equal(direct.Code, refused.Code);
        Assert.Equal(direct.Message, refused.Message);
    }

    [Fact]
    public async Task Without_the_cluster_key_a_forward_is_401_and_stores_nothing()
    {
        await using var server = NewServer();
        var alice = await server.NewUserAsync();
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "guarded")).Within();
        var batch = new ForwardBatch(room.Id, [new AppendMessage(room.Id, alice.Id, "evil", "should not be stored", null)]);

        // A node with another signing key: its client hears 401 and answers unavailable.
        var otherKey = new TokenService(Options.Create(new LimeOptions { Auth = new AuthOptions { SigningKey = Convert.ToBase64String(new byte[32]) } }));
        using var impostor = ClientFor(server, new InternalChannel(otherKey));
        var e = await Assert.ThrowsAsync<LimeException>(() => impostor.SendAsync(Owner, batch).Within());
        Assert.Equal(ErrorCodes.Unavailable, e.Code);

        // Raw requests: no header, a wrong one, a malformed one.
        using var http = server.CreateClient();
        string body = System.Text.Json.JsonSerializer.Serialize(batch, ClusterJson.Default.ForwardBatch);
        foreach (string? header in new[] { null, Convert.ToBase64String(new byte[32]), "not base64!" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, InternalChannel.ForwardPath) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (header is not null)
            {
                request.Headers.TryAddWithoutValidation(InternalChannel.Header, header);
            }

            using var response = await http.SendAsync(request).Within();
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var history = await alice.Http.GetHistoryAsync(room.Id).Within();
        Assert.DoesNotContain(history.Events, ev => ev.ClientMsgId == "evil");

        // The same batch with the key is applied: the refusals above were about the key alone.
        using var genuine = ClientFor(server);
        var outcomes = await genuine.SendAsync(Owner, batch).Within();
        Assert.NotNull(outcomes[0].Result?.Ack);
    }

    [Fact]
    public async Task A_batch_naming_another_room_is_refused_whole()
    {
        await using var server = NewServer();
        var alice = await server.NewUserAsync();
        var room = await alice.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "one room")).Within();
        using var client = ClientFor(server);

        var e = await Assert.ThrowsAsync<LimeException>(() => client.SendAsync(Owner, new ForwardBatch(room.Id, [
            new AppendMessage(room.Id, alice.Id, "a", "mine", null),
            new AppendMessage(room.Id + 1, alice.Id, "b", "another room's", null),
        ])).Within());
        Assert.Equal(ErrorCodes.Validation, e.Code);
        var history = await alice.Http.GetHistoryAsync(room.Id).Within();
        Assert.DoesNotContain(history.Events, ev => ev.Kind == "message");
    }

    /// <summary>Sends the client's requests to the in-process server.</summary>
    private sealed class InProcess(LimeServer server) : ForwardTransport
    {
        public override HttpMessageHandler CreateHandler() => server.Server.CreateHandler();
    }
}
