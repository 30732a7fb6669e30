using System.Text.Json;

namespace Lime.Bench;

/// <summary>The outcome of one dm run (or one sweep step). Rates are messages per second.</summary>
internal sealed record DmResult(
    string Scenario,
    double OfferedRate,
    double AchievedRate,
    double DurationSeconds,
    long Sent,
    long Acked,
    long Delivered,
    long Lost,
    long Duplicates,
    long OutOfOrder,
    SortedDictionary<string, long> Errors,
    LatencySummary Ack,
    LatencySummary Deliver,
    LatencySummary Lag,
    double GeneratorCpuPercent)
{
    /// <summary>The server's CPU time over the run, when its PID is known (--server-pid or run-server.sh's PID file).</summary>
    public ServerCpu? ServerCpu { get; init; }

    /// <summary>Every acked message reached the peer exactly once and in seq order.</summary>
    public bool Correct => Lost == 0 && Duplicates == 0 && OutOfOrder == 0;

    public long ErrorCount => Errors.Values.Sum();

    /// <summary>One JSON object on one line; <paramref name="extra"/> appends scenario-specific fields.</summary>
    public string ToJson(Action<Utf8JsonWriter>? extra = null)
    {
        return JsonLine.Write(json =>
        {
            json.WriteString("scenario", Scenario);
            json.WriteNumber("offered_rate", Math.Round(OfferedRate, 1));
            json.WriteNumber("achieved_rate", Math.Round(AchievedRate, 1));
            json.WriteNumber("duration_s", Math.Round(DurationSeconds, 3));
            json.WriteNumber("sent", Sent);
            json.WriteNumber("acked", Acked);
            json.WriteNumber("delivered", Delivered);
            json.WriteNumber("lost", Lost);
            json.WriteNumber("duplicates", Duplicates);
            json.WriteNumber("out_of_order", OutOfOrder);
            json.WriteStartObject("errors");
            foreach (var (code, count) in Errors)
            {
                json.WriteNumber(code, count);
            }

            json.WriteEndObject();
            Ack.WriteJson(json, "ack_ms");
            Deliver.WriteJson(json, "deliver_ms");
            Lag.WriteJson(json, "issue_lag_ms");
            json.WriteNumber("generator_cpu_pct", Math.Round(GeneratorCpuPercent, 1));
            ServerCpu?.WriteJson(json, Acked, Delivered);
            extra?.Invoke(json);
        });
    }
}
