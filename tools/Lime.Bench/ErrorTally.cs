using System.Collections.Concurrent;

namespace Lime.Bench;

/// <summary>Error counts by code (a server error code, "closed", or one of the bench's own codes). Thread-safe.</summary>
internal sealed class ErrorTally
{
    /// <summary>The generator skipped a send because too many were outstanding (--max-in-flight).</summary>
    public const string ClientBacklog = "client_backlog";

    /// <summary>A send issued in the measured window had neither an ack nor an error when the drain ended.</summary>
    public const string NoAck = "no_ack";

    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Total => _counts.Values.Sum();

    public bool Contains(string code) => _counts.ContainsKey(code);

    public void Add(string code, long count = 1) => _counts.AddOrUpdate(code, count, (_, v) => v + count);

    public void Clear() => _counts.Clear();

    public SortedDictionary<string, long> Snapshot() => new(_counts, StringComparer.Ordinal);
}
