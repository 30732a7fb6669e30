using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Lime.Protocol;

namespace Lime.Benchmarks;

/// <summary>
/// The per-frame JSON work: the server parsing a client <c>send</c> frame (SocketSession), the server serializing an
/// <c>event</c> frame once per event (ConnectionRegistry.Deliver), and a client parsing that event frame (header
/// first, then the frame, as LimeSocket does) — the load generator's cost per delivered copy.
/// </summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private byte[] _sendFrame = [];
    private byte[] _eventFrame = [];
    private EventDto _event = null!;

    [GlobalSetup]
    public void Setup()
    {
        string text = "t=123456789012;" + new string('x', 49); // 64 characters, like the load generator's default
        _sendFrame = Encoding.UTF8.GetBytes($$"""{"type":"send","id":"1234","room":42,"client_msg_id":"42-1234","text":"{{text}}"}""");
        _event = new EventDto("123456789012345678", 42, 1234, EventKinds.Message, 7, 1_760_000_000_000, text, null, "42-1234");
        _eventFrame = JsonSerializer.SerializeToUtf8Bytes(new EventFrame(_event), LimeJsonContext.Default.EventFrame);
    }

    [Benchmark(Description = "ClientFrame parse (send)")]
    public ClientFrame? ParseSend() => JsonSerializer.Deserialize(_sendFrame, LimeJsonContext.Default.ClientFrame);

    [Benchmark(Description = "EventFrame serialize")]
    public byte[] SerializeEvent() => JsonSerializer.SerializeToUtf8Bytes(new EventFrame(_event), LimeJsonContext.Default.EventFrame);

    [Benchmark(Description = "EventFrame parse (client: header + frame)")]
    public EventDto? ParseEventClient()
    {
        var header = JsonSerializer.Deserialize(_eventFrame, LimeJsonContext.Default.ServerFrameHeader);
        return header?.Type == ServerFrameTypes.Event ? JsonSerializer.Deserialize(_eventFrame, LimeJsonContext.Default.EventFrame)?.Event : null;
    }
}
