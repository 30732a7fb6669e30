namespace Lime.Bench;

/// <summary>The outcome of the connections scenario; <see cref="BytesPerConnection"/> is the least-squares RSS slope.</summary>
internal sealed record ConnectionsResult(
    int Requested,
    int Opened,
    long FailedConnects,
    int Dropped,
    int Sources,
    IReadOnlyList<(int Connections, long Rss)> Points,
    double BytesPerConnection,
    double InterceptBytes,
    double R2,
    long RssAfterHoldBytes,
    double HoldSeconds,
    double RegisterSeconds,
    double ConnectsPerSecond)
{
    /// <summary>The machine from the first connection to the end of the hold (null off Linux).</summary>
    public MachineLoad? Machine { get; init; }

    public string ToJson()
    {
        return JsonLine.Write(json =>
        {
            json.WriteString("scenario", "connections");
            json.WriteNumber("connections", Requested);
            json.WriteNumber("opened", Opened);
            json.WriteNumber("failed_connects", FailedConnects);
            json.WriteNumber("dropped", Dropped);
            json.WriteNumber("sources", Sources);
            json.WriteStartArray("points");
            foreach (var (n, rss) in Points)
            {
                json.WriteStartObject();
                json.WriteNumber("connections", n);
                json.WriteNumber("rss_bytes", rss);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("bytes_per_connection", Math.Round(BytesPerConnection, 0));
            json.WriteNumber("intercept_bytes", Math.Round(InterceptBytes, 0));
            json.WriteNumber("r2", Math.Round(R2, 5));
            json.WriteNumber("rss_after_hold_bytes", RssAfterHoldBytes);
            json.WriteNumber("hold_s", HoldSeconds);
            json.WriteNumber("register_s", Math.Round(RegisterSeconds, 1));
            json.WriteNumber("connects_per_s", Math.Round(ConnectsPerSecond, 0));
            Machine?.WriteJson(json);
        });
    }
}
