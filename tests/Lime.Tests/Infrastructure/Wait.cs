using System.Threading.Channels;
using Lime.Client;
using Lime.Protocol;

namespace Lime.Tests.Infrastructure;

/// <summary>Bounded waits: every await in the tests has a timeout.</summary>
public static class Wait
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>Reads events until <paramref name="count"/> matched <paramref name="filter"/> or the time is up.</summary>
    public static async Task<List<EventDto>> ForEventsAsync(ChannelReader<EventDto> events, int count, Func<EventDto, bool>? filter = null, TimeSpan? timeout = null)
    {
        var list = new List<EventDto>(count);
        using var cts = new CancellationTokenSource(timeout ?? Default);
        try
        {
            while (list.Count < count)
            {
                var e = await events.ReadAsync(cts.Token);
                if (filter is null || filter(e))
                {
                    list.Add(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Got {list.Count} of {count} events within {timeout ?? Default}.");
        }

        return list;
    }

    /// <summary>True if no matching event arrives within <paramref name="quiet"/>.</summary>
    public static async Task<EventDto?> ForAnyEventAsync(ChannelReader<EventDto> events, TimeSpan quiet, Func<EventDto, bool>? filter = null)
    {
        using var cts = new CancellationTokenSource(quiet);
        try
        {
            while (true)
            {
                var e = await events.ReadAsync(cts.Token);
                if (filter is null || filter(e))
                {
                    return e;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Until <paramref name="socket"/> is subscribed to <paramref name="roomId"/>: a socket gets its hello first and
    /// subscribes to its rooms once it has read their list, so an ephemeral signal (typing: never stored, at most once)
    /// sent in between reaches no one. Sends a message as <paramref name="sender"/> until one arrives live (bounded).
    /// </summary>
    public static async Task UntilSubscribedAsync(TestUser sender, long roomId, LimeSocket socket)
    {
        var deadline = DateTime.UtcNow + Default;
        for (int attempt = 1; ; attempt++)
        {
            string id = "subscribed-" + Guid.NewGuid().ToString("N");
            await sender.Http.SendAsync(roomId, new SendMessageRequest(id, "subscribed?")).Within();
            if (await ForAnyEventAsync(socket.Events, TimeSpan.FromSeconds(1), e => e.ClientMsgId == id) is not null)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The socket did not receive room {roomId}'s messages live after {attempt} tries.");
            }
        }
    }

    public static Task<T> Within<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Default);

    public static Task Within(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Default);
}
