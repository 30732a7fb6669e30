namespace Lime.Bench;

/// <summary>
/// The outcome of the catchup scenario. <see cref="Time"/> is reconnect start → last missed message received,
/// per iteration.
/// </summary>
internal sealed record CatchupResult(
    string Mode,
    int Rooms,
    int Messages,
    int Iterations,
    long Fetched,
    long Missing,
    long Pages,
    long Snapshots,
    double MeanMs,
    LatencySummary Time,
    SortedDictionary<string, long> Errors)
{
    /// <summary>The machine over the iterations, set-up excluded (null off Linux).</summary>
    public MachineLoad? Machine { get; init; }

    public bool Correct => Missing == 0 && Iterations > 0;

    public string ToJson()
    {
        return JsonLine.Write(json =>
        {
            json.WriteString("scenario", "catchup");
            json.WriteString("mode", Mode);
            json.WriteNumber("rooms", Rooms);
            json.WriteNumber("messages", Messages);
            json.WriteNumber("iterations", Iterations);
            json.WriteNumber("fetched", Fetched);
            json.WriteNumber("missing", Missing);
            json.WriteNumber("pages", Pages);
            json.WriteNumber("snapshots", Snapshots);
            json.WriteStartObject("errors");
            foreach (var (code, count) in Errors)
            {
                json.WriteNumber(code, count);
            }

            json.WriteEndObject();
            json.WriteNumber("mean_ms", Math.Round(MeanMs, 3));
            Time.WriteJson(json, "catchup_ms");
            Machine?.WriteJson(json);
        });
    }
}
