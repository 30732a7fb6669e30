using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Lime.Protocol;
using Lime.Server.Realtime;

namespace Lime.Benchmarks;

/// <summary>
/// ConnectionRegistry.Deliver of one message event to N local subscribers of its room, with every connection's
/// writer loop running against a <see cref="CountingWebSocket"/>. <c>Deliver</c> is the dispatcher's share (serialize
/// once, snapshot the room's subscribers, queue to each); <c>Deliver + flush</c> also waits until every writer has
/// handed the frame to its socket, so it is the whole in-process cost of one event's fan-out (no kernel write).
/// </summary>
[MemoryDiagnoser]
public class FanoutBenchmarks : IDisposable
{
    private const long Room = 42;
    private ConnectionRegistry _registry = null!;
    private CountingWebSocket[] _sockets = [];
    private ClientConnection[] _connections = [];
    private Task[] _writers = [];
    private readonly FrameCounter _counter = new();
    private EventDto _event = null!;
    private long _delivered;

    [Params(1, 100, 5000)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string text = "t=123456789012;" + new string('x', 49);
        _event = new EventDto("123456789012345678", Room, 1, EventKinds.Message, 7, 1_760_000_000_000, text, null, "42-1");
        int frameLength = JsonSerializer.SerializeToUtf8Bytes(new EventFrame(_event), LimeJsonContext.Default.EventFrame).Length;
        _registry = new ConnectionRegistry(new Lime.Server.Diagnostics.LimeMetrics());
        _sockets = new CountingWebSocket[Subscribers];
        _connections = new ClientConnection[Subscribers];
        _writers = new Task[Subscribers];
        for (int i = 0; i < Subscribers; i++)
        {
            _sockets[i] = new CountingWebSocket(frameLength, _counter);
            _connections[i] = new ClientConnection(_sockets[i], userId: i + 1, deviceId: i + 1, queueFrames: 8192);
            _registry.Add(_connections[i]);
            _registry.SubscribeInitial(_connections[i], [Room]);
            _writers[i] = _connections[i].RunWriterAsync();
        }
    }

    [Benchmark(Description = "Deliver")]
    public void Deliver()
    {
        _registry.Deliver(_event);
        _delivered++;

        // Keep the queues (8192 frames) from filling up: the writers drain them on the thread pool meanwhile.
        if (_delivered % 1024 == 0)
        {
            WaitForWriters();
        }
    }

    [Benchmark(Description = "Deliver + flush")]
    public void DeliverAndFlush()
    {
        _registry.Deliver(_event);
        _delivered++;
        WaitForWriters();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var c in _connections)
        {
            c.Close(1000, "", TimeSpan.FromSeconds(1));
        }

        Task.WaitAll(_writers, TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        foreach (var s in _sockets)
        {
            s.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Spins until every connection has sent every frame delivered so far.</summary>
    private void WaitForWriters()
    {
        long target = _delivered * Subscribers;
        var spin = new SpinWait();
        while (_counter.Frames < target)
        {
            spin.SpinOnce();
        }
    }
}
