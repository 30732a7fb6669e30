namespace Lime.Server.Chat;

/// <summary>
/// 64-bit time-ordered ids: 41 bits of milliseconds since 2025-01-01T00:00Z, 10 bits of node id, 12 bits of
/// sequence within the millisecond. Unique across nodes as long as node ids are unique; monotonic per node even
/// if the wall clock steps back (it then borrows from the last timestamp).
/// </summary>
public sealed class Snowflake
{
    public static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly long _node;
    private readonly Lock _lock = new();
    private long _lastMs;
    private long _seq;

    public Snowflake(int nodeId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nodeId, 1023);
        _node = nodeId;
    }

    public long Next()
    {
        lock (_lock)
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - Epoch.ToUnixTimeMilliseconds();
            if (now > _lastMs)
            {
                _lastMs = now;
                _seq = 0;
            }
            else if (++_seq > 0xFFF)
            {
                // Sequence exhausted within this millisecond (or the clock went back): move to the next one.
                _lastMs++;
                _seq = 0;
            }

            return (_lastMs << 22) | (_node << 12) | _seq;
        }
    }

    public static DateTimeOffset TimeOf(long id) => Epoch.AddMilliseconds(id >> 22);
}
