using System.Threading.Channels;
using Lime.Protocol;
using Lime.Server.Diagnostics;
using Lime.Server.Realtime;

namespace Lime.Server.Fanout;

/// <summary>
/// In-process fanout for a single node: one dispatcher loop takes published batches in order and hands each event
/// to the local connection registry. The writer never waits for delivery.
/// </summary>
public sealed class MemoryFanout(ConnectionRegistry connections, ILogger<MemoryFanout> log) : IFanout, IHostedService
{
    private readonly Channel<IReadOnlyList<EventDto>> _queue = Channel.CreateUnbounded<IReadOnlyList<EventDto>>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private Task? _loop;

    public void Publish(IReadOnlyList<EventDto> events) => _queue.Writer.TryWrite(events);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken);
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var events))
            {
                foreach (var e in events)
                {
                    try
                    {
                        connections.Deliver(e);
                    }
                    catch (Exception ex)
                    {
                        Log.DeliveryFailed(log, e.Room, e.Seq, ex);
                    }
                }
            }
        }
    }
}
