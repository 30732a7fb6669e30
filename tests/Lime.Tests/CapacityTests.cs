using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests;

public sealed class CapacityTests : IAsyncLifetime
{
    private readonly LimeServer _server = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_open_channel_holds_ten_thousand_members_and_a_message_reaches_the_connected_ones()
    {
        const int members = 10_000;
        var owner = await _server.NewUserAsync("own");
        var channel = await owner.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Channel, "Town square " + Guid.NewGuid().ToString("N")[..6]));

        using var gate = new SemaphoreSlim(16);
        var joined = await Task.WhenAll(Enumerable.Range(0, members - 1).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                var user = await _server.NewUserAsync("m");
                await user.Http.JoinAsync(channel.Id);
                return user;
            }
            finally
            {
                gate.Release();
            }
        })).Within(TimeSpan.FromMinutes(5));

        var room = await owner.Http.GetRoomAsync(channel.Id);
        Assert.Equal(members, room.MemberCount);

        // Joins that met in one commit were coalesced into one members_joined event; every joiner is in exactly one.
        var joinedEvents = new List<EventDto>();
        long after = 1;
        HistoryPage page;
        do
        {
            page = await owner.Http.GetHistoryAsync(channel.Id, after: after, limit: 200);
            joinedEvents.AddRange(page.Events.Where(e => e.Kind == EventKinds.MembersJoined));
            after = page.Events.Length > 0 ? page.Events[^1].Seq : after;
        }
        while (page.HasMoreAfter);
        Assert.Equal(joined.Select(u => u.Id).Order(), joinedEvents.SelectMany(e => e.Users!).Order());
        Assert.True(room.LastSeq <= members, $"{room.LastSeq} events for {members - 1} joins");
        Assert.True(joinedEvents.Count < members - 1, "concurrent joins were not coalesced");

        var listeners = await Task.WhenAll(joined.Take(50).Select(u => u.ConnectAsync()));
        try
        {
            var ack = await owner.Http.SendAsync(channel.Id, new SendMessageRequest("hello-all", "공지: hello everyone"));
            foreach (var socket in listeners)
            {
                var e = (await Wait.ForEventsAsync(socket.Events, 1, e => e.Kind == EventKinds.Message)).Single();
                Assert.Equal(ack.Seq, e.Seq);
            }
        }
        finally
        {
            await Task.WhenAll(listeners.Select(s => s.DisposeAsync().AsTask()));
        }
    }
}
