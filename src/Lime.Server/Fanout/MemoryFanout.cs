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
    // Holds IReadOnlyList<EventDto> (committed events, in commit order) and Signal items.
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });

    private Task? _loop;

    public void Publish(IReadOnlyList<EventDto> events) => _queue.Writer.TryWrite(events);

    public void Signal(Signal signal) => _queue.Writer.TryWrite(signal);

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
            while (reader.TryRead(out var item))
            {
                if (item is Signal signal)
                {
                    connections.DeliverSignal(signal);
                    continue;
                }

                foreach (var e in (IReadOnlyList<EventDto>)item)
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
