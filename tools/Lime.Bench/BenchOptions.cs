using System.Globalization;

namespace Lime.Bench;

/// <summary>The parsed command line. Parsing is strict: an unknown option or a malformed value is a usage error.</summary>
internal sealed class BenchOptions
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public string Scenario { get; private set; } = "";
    public IReadOnlyList<Uri> Urls { get; private set; } = [];
    public bool AllowRemote { get; private set; }
    public bool Json { get; private set; }
    public int Seed { get; private set; } = 1;

    // dm and sweep
    public int Users { get; private set; } = 200;
    public double Rate { get; private set; } = 2000;
    public double DurationSeconds { get; private set; } = 10;
    public double WarmupSeconds { get; private set; } = 2;
    public double DrainSeconds { get; private set; } = 5;
    public int MessageBytes { get; private set; } = 64;
    public int MaxInFlight { get; private set; } = 100_000;

    // sweep
    public double From { get; private set; } = 1000;
    public double? Step { get; private set; }
    public double Factor { get; private set; } = 1.5;
    public double To { get; private set; } = 200_000;
    public double BoundMs { get; private set; } = 100;

    // catchup
    public int Rooms { get; private set; } = 10;
    public int Messages { get; private set; } = 1000;
    public int Iterations { get; private set; } = 20;

    public static string Usage => """
        Lime.Bench: load generator for a LIME server (public protocol only, via the .NET SDK).

        Usage: dotnet run -c Release --project tools/Lime.Bench -- <scenario> [options]

        Scenarios:
          dm        users in pairs (one direct room per pair, one WebSocket per user), open-loop sends at --rate
          sweep     dm at increasing rates until p99 send->deliver exceeds --bound-ms or errors/loss appear
          catchup   one user with --rooms rooms goes offline, peers send --messages, the user reconnects and
                    pages history after its last seq in every room at once; repeated --iterations times

        Common options:
          --url URL[,URL...]   node base URL, repeatable; clients spread round-robin (default http://127.0.0.1:5080)
          --allow-remote       allow non-loopback URLs (refused by default)
          --json               print one JSON line per scenario (human output then goes to stderr)
          --seed N             seed for schedule phases (default 1)

        dm / sweep:
          --users N            users, an even number (default 200)
          --rate R             total offered messages/s, split evenly over all users (default 2000)
          --duration S         measured seconds per run/step (default 10)
          --warmup S           seconds sent but not measured before each run/step (default 2)
          --drain S            end the drain after S seconds without any ack or delivery (default 5; at most 60 s)
          --size BYTES         message text size (default 64)
          --max-in-flight N    sends outstanding before the generator skips sends as client_backlog (default 100000)

        sweep:
          --from R --to R      first and last offered rate (default 1000 .. 200000)
          --step R             additive step; without it the rate is multiplied by --factor (default 1.5)
          --bound-ms MS        p99 send->deliver bound (default 100)

        catchup:
          --rooms K            rooms of the reconnecting user, one peer each (default 10)
          --messages N         messages sent by peers while the user is away, in total (default 1000)
          --iterations N       disconnect/reconnect cycles (default 20)

        The server must run with raised send limits (tools/Lime.Bench/run-server.sh does that).
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/> for anything it does not understand.</summary>
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        var urls = new List<string>();
        int i = 0;
        string Next(string name)
        {
            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{name} needs a value.");
            }

            i++;
            return args[i];
        }

        for (; i < args.Length; i++)
        {
            string arg = args[i];
            string name = arg;
            string? inline = null;
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }

            string Value() => inline ?? Next(name);
            switch (name)
            {
                case "-h" or "--help":
                    throw new UsageException(null);
                case "--url":
                    urls.AddRange(Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    break;
                case "--allow-remote":
                    o.AllowRemote = true;
                    break;
                case "--json":
                    o.Json = true;
                    break;
                case "--seed":
                    o.Seed = Int(name, Value(), 0, int.MaxValue);
                    break;
                case "--users":
                    o.Users = Int(name, Value(), 2, 1_000_000);
                    break;
                case "--rate":
                    o.Rate = Number(name, Value(), 0.001, 10_000_000);
                    break;
                case "--duration":
                    o.DurationSeconds = Number(name, Value(), 0.1, 86_400);
                    break;
                case "--warmup":
                    o.WarmupSeconds = Number(name, Value(), 0, 3600);
                    break;
                case "--drain":
                    o.DrainSeconds = Number(name, Value(), 0, 600);
                    break;
                case "--size":
                    o.MessageBytes = Int(name, Value(), 1, 1024 * 1024);
                    break;
                case "--max-in-flight":
                    o.MaxInFlight = Int(name, Value(), 1, 10_000_000);
                    break;
                case "--from":
                    o.From = Number(name, Value(), 0.001, 10_000_000);
                    break;
                case "--step":
                    o.Step = Number(name, Value(), 0.001, 10_000_000);
                    break;
                case "--factor":
                    o.Factor = Number(name, Value(), 1.01, 100);
                    break;
                case "--to":
                    o.To = Number(name, Value(), 0.001, 10_000_000);
                    break;
                case "--bound-ms":
                    o.BoundMs = Number(name, Value(), 0.001, 3_600_000);
                    break;
                case "--rooms":
                    o.Rooms = Int(name, Value(), 1, 10_000);
                    break;
                case "--messages":
                    o.Messages = Int(name, Value(), 1, 10_000_000);
                    break;
                case "--iterations":
                    o.Iterations = Int(name, Value(), 1, 100_000);
                    break;
                default:
                    if (arg.StartsWith('-'))
                    {
                        throw new UsageException($"Unknown option {arg}.");
                    }

                    if (o.Scenario.Length > 0)
                    {
                        throw new UsageException($"Unexpected argument '{arg}' (the scenario is already '{o.Scenario}').");
                    }

                    o.Scenario = arg;
                    break;
            }
        }

        if (o.Scenario is not ("dm" or "sweep" or "catchup"))
        {
            throw new UsageException(o.Scenario.Length == 0 ? "Name a scenario: dm, sweep or catchup." : $"Unknown scenario '{o.Scenario}'.");
        }

        if (o.Users % 2 != 0)
        {
            throw new UsageException("--users must be even: users are paired into direct rooms.");
        }

        if (o.To < o.From)
        {
            throw new UsageException("--to must be at least --from.");
        }

        o.Urls = ParseUrls(urls.Count == 0 ? [DefaultUrl] : urls, o.AllowRemote);
        return o;
    }

    /// <summary>Load goes only to loopback unless explicitly allowed: a typo must not aim a load test at someone else.</summary>
    private static Uri[] ParseUrls(List<string> raw, bool allowRemote)
    {
        var result = new List<Uri>();
        foreach (string s in raw)
        {
            if (!Uri.TryCreate(s, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--url '{s}' is not an absolute http(s) URL.");
            }

            if (!uri.IsLoopback && !allowRemote)
            {
                throw new UsageException($"--url '{s}' is not a loopback address; load is only sent to 127.0.0.0/8, ::1 or localhost unless --allow-remote is given.");
            }

            result.Add(uri);
        }

        return [.. result];
    }

    private static int Int(string name, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
        {
            throw new UsageException($"{name} must be an integer in [{min}, {max}], not '{value}'.");
        }

        return n;
    }

    private static double Number(string name, string value, double min, double max)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) || !(n >= min && n <= max))
        {
            throw new UsageException($"{name} must be a number in [{min}, {max}], not '{value}'.");
        }

        return n;
    }
}
