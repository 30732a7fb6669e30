using System.Text.Json;
using HdrHistogram;

namespace Lime.Bench;

/// <summary>Percentiles of one latency histogram, in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0);

    public static LatencySummary From(HistogramBase h) => h.TotalCount == 0
        ? Empty
        : new LatencySummary(
            h.TotalCount,
            Ms(h.GetValueAtPercentile(50)),
            Ms(h.GetValueAtPercentile(90)),
            Ms(h.GetValueAtPercentile(99)),
            Ms(h.GetValueAtPercentile(99.9)),
            Ms(h.GetMaxValue()));

    public void WriteJson(Utf8JsonWriter json, string name)
    {
        json.WriteStartObject(name);
        json.WriteNumber("p50", Math.Round(P50, 3));
        json.WriteNumber("p90", Math.Round(P90, 3));
        json.WriteNumber("p99", Math.Round(P99, 3));
        json.WriteNumber("p999", Math.Round(P999, 3));
        json.WriteNumber("max", Math.Round(Max, 3));
        json.WriteEndObject();
    }

    private static double Ms(long micros) => micros / 1000.0;
}
