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

    // dm, sweep, group, channel, mixed: defaults depend on the scenario (see Usage), resolved at the end of Parse
    public int Users { get; private set; }
    public double Rate { get; private set; }
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

    // catchup, group
    public int Rooms { get; private set; } = 10;
    public int Messages { get; private set; } = 1000;
    public int Iterations { get; private set; } = 20;
    public string Mode { get; private set; } = "sync";
    public int LimitPerRoom { get; private set; } = 100;

    // group, channel
    public int Members { get; private set; }
    public int Senders { get; private set; }

    // connections
    public int Connections { get; private set; } = 19_000;
    public IReadOnlyList<int> Steps { get; private set; } = [];
    public int Sources { get; private set; }
    public double SettleSeconds { get; private set; } = 5;
    public double HoldSeconds { get; private set; } = 50;
    public int? ServerPid { get; private set; }

    // mixed
    public double DmShare { get; private set; } = 0.8;
    public int Contacts { get; private set; } = 4;
    public int GroupsPerUser { get; private set; } = 2;
    public int DmReadEvery { get; private set; } = 2;
    public int GroupReadEvery { get; private set; } = 10;
    public int TypingEvery { get; private set; } = 3;

    private int? _users;
    private double? _rate;
    private int? _members;
    private int? _senders;

    public static string Usage => """
        Lime.Bench: load generator for a LIME server (public protocol only, via the .NET SDK).

        Usage: dotnet run -c Release --project tools/Lime.Bench -- <scenario> [options]

        Scenarios:
          dm        users in pairs (one direct room per pair, one WebSocket per user), open-loop sends at --rate
          sweep     dm at increasing rates until p99 send->deliver exceeds --bound-ms or errors/loss appear
          catchup   one user with --rooms rooms goes offline, peers send --messages, the user reconnects and
                    catches up with one sync frame (--mode sync) or by paging history in every room (--mode history)
          group     --rooms groups of --members members, --senders senders each, open loop at --rate msgs/s in total;
                    every acked message must reach every member exactly once, in seq order
          channel   one open channel of --members members (joined via POST /api/rooms/{id}/join), --senders senders
                    at a low --rate; same checks as group
          connections  --connections idle authenticated sockets with heartbeats, opened in --steps; server memory
                    per connection from the least-squares slope of its VmRSS over the steps
          mixed     a scaled-down 50M-DAU day: 1:1-heavy traffic plus small groups, read receipts and typing

        Common options:
          --url URL[,URL...]   node base URL, repeatable; clients spread round-robin (default http://127.0.0.1:5080)
          --allow-remote       allow non-loopback URLs (refused by default)
          --json               print one JSON line per scenario (human output then goes to stderr)
          --seed N             seed for schedule phases (default 1)
          --server-pid PID     the server process, for its CPU time (all loads) and RSS (connections); default:
                               the PID file of tools/Lime.Bench/run-server.sh ($LIME_BENCH_STATE/server.pid)

        dm / sweep / group / channel / mixed:
          --users N            dm/sweep: users, an even number (default 200); mixed: users (default 2000)
          --rate R             total offered messages/s, split evenly over all senders
                               (default: dm/sweep 2000, group 500, channel 10, mixed 1000)
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
          --mode sync|history  sync: one sync frame with the device's cursors (default); history: page
                               history after=<last seq> in every room at once (the pre-sync client loop)
          --limit-per-room N   sync: limit_per_room (default 100, the server's default; 1-1000)

        group / channel:
          --rooms K            group: rooms (default 10)
          --members M          members per room (default: group 100, channel 5000)
          --senders K          senders per room (default: group 5, channel 2)

        connections:
          --connections C      idle connections at the top step (default 19000; the box caps a process at
                               20,000 open files - raise `ulimit -n` for the bench and the server first)
          --steps A,B,...      connection counts where server RSS is sampled (default 0, 4000, 8000, ... , C)
          --sources N          loopback source addresses 127.0.0.1 .. 127.0.0.N (default: one per 25,000
                               connections; ~28k ephemeral ports per source address)
          --settle S           seconds to wait at each step before sampling RSS (default 5)
          --hold S             seconds to hold all connections at the top, to prove heartbeats keep them
                               open past the server's idle timeout (default 50)

        mixed:
          --users N            users (default 2000)
          --dm-share F         share of messages sent in direct rooms (default 0.8; the rest in small groups)
          --contacts N         direct rooms per user (default 4)
          --groups-per-user N  small groups per user, on average (default 2; sizes 3-10/11-50/51-100 in 60/30/10 %)
          --dm-read-every N    every N-th message a user receives in direct rooms marks that room read (default 2;
                               0 = off)
          --group-read-every N same for messages received in groups (default 10; 0 = off)
          --typing-every N     every N-th send is preceded by a typing frame (default 3; 0 = off)

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
                    o._users = Int(name, Value(), 2, 1_000_000);
                    break;
                case "--rate":
                    o._rate = Number(name, Value(), 0.001, 10_000_000);
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
                case "--mode":
                    string mode = Value();
                    o.Mode = mode is "sync" or "history" ? mode : throw new UsageException($"--mode must be sync or history, not '{mode}'.");
                    break;
                case "--limit-per-room":
                    o.LimitPerRoom = Int(name, Value(), 1, 1000);
                    break;
                case "--members":
                    o._members = Int(name, Value(), 2, 200_000);
                    break;
                case "--senders":
                    o._senders = Int(name, Value(), 1, 200_000);
                    break;
                case "--connections":
                    o.Connections = Int(name, Value(), 1, 1_000_000);
                    break;
                case "--steps":
                    o.Steps = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(v => Int(name, v, 0, 1_000_000)).Order().Distinct().ToArray();
                    break;
                case "--sources":
                    o.Sources = Int(name, Value(), 1, 254);
                    break;
                case "--settle":
                    o.SettleSeconds = Number(name, Value(), 0, 600);
                    break;
                case "--hold":
                    o.HoldSeconds = Number(name, Value(), 0, 3600);
                    break;
                case "--server-pid":
                    o.ServerPid = Int(name, Value(), 1, int.MaxValue);
                    break;
                case "--dm-share":
                    o.DmShare = Number(name, Value(), 0, 1);
                    break;
                case "--contacts":
                    o.Contacts = Int(name, Value(), 0, 1000);
                    break;
                case "--groups-per-user":
                    o.GroupsPerUser = Int(name, Value(), 0, 100);
                    break;
                case "--dm-read-every":
                    o.DmReadEvery = Int(name, Value(), 0, 1_000_000);
                    break;
                case "--group-read-every":
                    o.GroupReadEvery = Int(name, Value(), 0, 1_000_000);
                    break;
                case "--typing-every":
                    o.TypingEvery = Int(name, Value(), 0, 1_000_000);
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

        if (o.Scenario is not ("dm" or "sweep" or "catchup" or "group" or "channel" or "connections" or "mixed"))
        {
            throw new UsageException(o.Scenario.Length == 0
                ? "Name a scenario: dm, sweep, catchup, group, channel, connections or mixed."
                : $"Unknown scenario '{o.Scenario}'.");
        }

        o.Users = o._users ?? (o.Scenario == "mixed" ? 2000 : 200);
        o.Rate = o._rate ?? o.Scenario switch
        {
            "group" => 500,
            "channel" => 10,
            "mixed" => 1000,
            _ => 2000,
        };
        o.Members = o._members ?? (o.Scenario == "channel" ? 5000 : 100);
        o.Senders = Math.Min(o._senders ?? (o.Scenario == "channel" ? 2 : 5), o.Members);
        if (o.Scenario is "dm" or "sweep" && o.Users % 2 != 0)
        {
            throw new UsageException("--users must be even: users are paired into direct rooms.");
        }

        if (o.Scenario == "mixed" && o.Contacts >= o.Users)
        {
            throw new UsageException("--contacts must be smaller than --users.");
        }

        if (o.Steps.Count == 0)
        {
            o.Steps = DefaultSteps(o.Connections);
        }
        else if (o.Steps[^1] > o.Connections)
        {
            o.Connections = o.Steps[^1];
        }

        if (o.Sources == 0)
        {
            o.Sources = Math.Max(1, (o.Connections + 24_999) / 25_000);
        }

        if (o.To < o.From)
        {
            throw new UsageException("--to must be at least --from.");
        }

        o.Urls = ParseUrls(urls.Count == 0 ? [DefaultUrl] : urls, o.AllowRemote);
        return o;
    }

    /// <summary>0, 4000, 8000, … below <paramref name="connections"/>, then the top count itself.</summary>
    private static int[] DefaultSteps(int connections)
    {
        var steps = new List<int>();
        for (int n = 0; n < connections; n += 4000)
        {
            steps.Add(n);
        }

        steps.Add(connections);
        return [.. steps];
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
