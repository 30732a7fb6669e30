using System.Text.Json;

namespace Lime.Bench;

/// <summary>
/// The outcome of one load run (dm, a sweep step, group, channel, mixed). Rates are messages per second; deliveries are copies to
/// members other than the sender. <see cref="Lost"/> counts (message, member) pairs, the sender's own copy included.
/// </summary>
internal sealed record LoadResult(
    string Scenario,
    double OfferedRate,
    double AchievedRate,
    double OfferedDeliveries,
    double AchievedDeliveries,
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
    SortedDictionary<string, LatencySummary> DeliverByKind,
    LatencySummary Lag,
    long ReadsSent,
    LatencySummary Read,
    long TypingSent,
    CpuFigures Cpu)
{
    /// <summary>Every acked message reached every member exactly once and in seq order.</summary>
    public bool Correct => Lost == 0 && Duplicates == 0 && OutOfOrder == 0;

    public long ErrorCount => Errors.Values.Sum();

    /// <summary>One JSON object on one line, the dm fields first; <paramref name="extra"/> appends scenario-specific fields.</summary>
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
            json.WriteNumber("offered_deliveries_per_s", Math.Round(OfferedDeliveries, 1));
            json.WriteNumber("achieved_deliveries_per_s", Math.Round(AchievedDeliveries, 1));
            if (DeliverByKind.Count > 1)
            {
                json.WriteStartObject("deliver_ms_by_kind");
                foreach (var (kind, summary) in DeliverByKind)
                {
                    summary.WriteJson(json, kind);
                }

                json.WriteEndObject();
            }

            Cpu.WriteJson(json, Acked, Delivered);
            if (ReadsSent > 0 || TypingSent > 0)
            {
                json.WriteNumber("reads", ReadsSent);
                Read.WriteJson(json, "read_ms");
                json.WriteNumber("typing", TypingSent);
            }

            extra?.Invoke(json);
        });
    }
}
