using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Lime.Bench;

/// <summary>
/// The command line (System.CommandLine): one subcommand per scenario, each with only the options it uses and its own
/// defaults, which `--help` prints. --url, --allow-remote, --json, --seed and --server-pid are accepted before or
/// after the scenario. A malformed or out-of-range value, an unknown option or a missing scenario is a parse error.
/// </summary>
internal static class BenchCommandLine
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    private static readonly Option<string[]> Url = new("--url")
    {
        Description = "node base URL, repeatable or comma-separated; clients spread round-robin",
        HelpName = "URL[,URL...]",
        DefaultValueFactory = _ => [DefaultUrl],
        Recursive = true,
    };

    private static readonly Option<bool> AllowRemote = new("--allow-remote")
    {
        Description = "allow non-loopback URLs (refused by default)",
        Recursive = true,
    };

    private static readonly Option<bool> Json = new("--json")
    {
        Description = "print one JSON line per result on stdout (tables and progress then go to stderr)",
        Recursive = true,
    };

    private static readonly Option<int> Seed = Recursive(Int("--seed", 1, 0, int.MaxValue, "seed for schedule phases and mixed's room plan"));

    private static readonly Option<int[]> ServerPid = Recursive(new Option<int[]>("--server-pid")
    {
        Description = "server process(es), repeatable or comma-separated, for CPU time (every load; summed over nodes) and RSS "
            + "(connections: one); default: the processes listening on the --url ports, else the PID file of "
            + "tools/Lime.Bench/run-server.sh ($LIME_BENCH_STATE/server.pid)",
        HelpName = "PID[,PID...]",
        CustomParser = r => IntList(r, "--server-pid", 1, int.MaxValue),
    });

    /// <summary>The root command; each scenario's action binds its options and calls <paramref name="run"/>.</summary>
    public static RootCommand Create(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand("""
            Lime.Bench: load generator for a LIME server (public protocol only, via the .NET SDK).
            The server must run with raised send limits (tools/Lime.Bench/run-server.sh does that).
            Exit codes: 0 ok, 1 a correctness check failed, 2 usage or set-up error, 130 cancelled.
            """)
        {
            Url, AllowRemote, Json, Seed, ServerPid,
        };
        root.Add(Dm(run));
        root.Add(Sweep(run));
        root.Add(Group(run));
        root.Add(Channel(run));
        root.Add(Mixed(run));
        root.Add(Catchup(run));
        root.Add(Connections(run));
        root.Add(Search(run));
        return root;
    }

    private static Command Dm(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var users = Users(200, "users, an even number: one direct room per pair");
        var load = new LoadOptions(2000);
        var dm = new Command("dm", "users in pairs (one direct room per pair, one WebSocket per user), both members sending, open loop at --rate msgs/s in total")
        {
            users,
        };
        load.AddTo(dm);
        return WithAction(dm, run, p => load.Bind(p, "dm") with { Users = Even(p.GetValue(users)) });
    }

    private static Command Sweep(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var users = Users(200, "users, an even number: one direct room per pair");
        var load = new LoadOptions(rate: null);
        var from = Number("--from", 1000, 0.001, 10_000_000, "first offered rate, msgs/s");
        var to = Number("--to", 200_000, 0.001, 10_000_000, "last offered rate, msgs/s");
        var step = new Option<double?>("--step")
        {
            Description = "additive step between rates; without it the rate is multiplied by --factor",
            HelpName = "R",
            CustomParser = r => ParseNumber(r, "--step", 0.001, 10_000_000),
        };
        var factor = Number("--factor", 1.5, 1.01, 100, "rate multiplier between steps when --step is not given");
        var bound = Number("--bound-ms", 100, 0.001, 3_600_000, "p99 send->deliver bound a step must stay under");
        var sweep = new Command("sweep", "dm at increasing rates on one set of sockets until p99 send->deliver exceeds --bound-ms or errors/loss appear")
        {
            users, from, to, step, factor, bound,
        };
        load.AddTo(sweep);
        return WithAction(sweep, run, p => load.Bind(p, "sweep") with
        {
            Users = Even(p.GetValue(users)),
            From = p.GetValue(from),
            To = p.GetValue(to) >= p.GetValue(from) ? p.GetValue(to) : throw new UsageException("--to must be at least --from."),
            Step = p.GetValue(step),
            Factor = p.GetValue(factor),
            BoundMs = p.GetValue(bound),
        });
    }

    private static Command Group(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var rooms = Int("--rooms", 10, 1, 10_000, "groups");
        var members = Int("--members", 100, 2, 200_000, "members per group (distinct users)");
        var senders = Int("--senders", 5, 1, 200_000, "senders per group (its first members)");
        var load = new LoadOptions(500);
        var group = new Command("group", "--rooms groups of --members members, --senders senders each, open loop at --rate msgs/s in total; every acked message must reach every member exactly once, in seq order")
        {
            rooms, members, senders,
        };
        load.AddTo(group);
        return WithAction(group, run, p => load.Bind(p, "group") with
        {
            Rooms = p.GetValue(rooms),
            Members = p.GetValue(members),
            Senders = Math.Min(p.GetValue(senders), p.GetValue(members)),
        });
    }

    private static Command Channel(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var members = Int("--members", 5000, 2, 200_000, "members of the channel");
        var senders = Int("--senders", 2, 1, 200_000, "senders (its first members)");
        var load = new LoadOptions(10);
        var channel = new Command("channel", "one open channel of --members members (joined via POST /api/rooms/{id}/join), --senders senders at a low --rate; same checks as group")
        {
            members, senders,
        };
        load.AddTo(channel);
        return WithAction(channel, run, p => load.Bind(p, "channel") with
        {
            Members = p.GetValue(members),
            Senders = Math.Min(p.GetValue(senders), p.GetValue(members)),
        });
    }

    private static Command Mixed(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var users = Users(2000, "users");
        var dmShare = Number("--dm-share", 0.8, 0, 1, "share of messages sent in direct rooms (the rest in small groups)");
        var contacts = Int("--contacts", 4, 0, 1000, "direct rooms per user");
        var groups = Int("--groups-per-user", 2, 0, 100, "small groups per user, on average (sizes 3-10/11-50/51-100 in 60/30/10 %)");
        var dmRead = Int("--dm-read-every", 2, 0, 1_000_000, "every N-th message a user receives in direct rooms marks that room read (0 = off)");
        var groupRead = Int("--group-read-every", 10, 0, 1_000_000, "same for messages received in groups (0 = off)");
        var typing = Int("--typing-every", 3, 0, 1_000_000, "every N-th send is preceded by a typing frame (0 = off)");
        var load = new LoadOptions(1000);
        var mixed = new Command("mixed", "a scaled-down 50M-DAU day: 1:1-heavy traffic plus small groups, read receipts and typing")
        {
            users, dmShare, contacts, groups, dmRead, groupRead, typing,
        };
        load.AddTo(mixed);
        return WithAction(mixed, run, p => load.Bind(p, "mixed") with
        {
            Users = p.GetValue(users),
            DmShare = p.GetValue(dmShare),
            Contacts = p.GetValue(contacts) < p.GetValue(users) ? p.GetValue(contacts) : throw new UsageException("--contacts must be smaller than --users."),
            GroupsPerUser = p.GetValue(groups),
            DmReadEvery = p.GetValue(dmRead),
            GroupReadEvery = p.GetValue(groupRead),
            TypingEvery = p.GetValue(typing),
        });
    }

    private static Command Catchup(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var rooms = Int("--rooms", 10, 1, 10_000, "rooms of the reconnecting user, one peer each");
        var messages = Int("--messages", 1000, 1, 10_000_000, "messages sent by peers while the user is away, in total");
        var iterations = Int("--iterations", 20, 1, 100_000, "disconnect/reconnect cycles");
        var mode = new Option<string>("--mode")
        {
            Description = "sync: one sync frame with the device's cursors; history: page history after=<last seq> in every room at once (the pre-sync client loop)",
            DefaultValueFactory = _ => "sync",
        }.AcceptOnlyFromAmong("sync", "history");
        var limit = Int("--limit-per-room", 100, 1, 1000, "sync: limit_per_room (the server's default is 100)");
        var size = Size();
        var catchup = new Command("catchup", "one user with --rooms rooms goes offline, peers send --messages, the user reconnects and catches up with one sync frame (--mode sync) or by paging history in every room (--mode history)")
        {
            rooms, messages, iterations, mode, limit, size,
        };
        return WithAction(catchup, run, p => Common(p, "catchup") with
        {
            Rooms = p.GetValue(rooms),
            Messages = p.GetValue(messages),
            Iterations = p.GetValue(iterations),
            Mode = p.GetValue(mode)!,
            LimitPerRoom = p.GetValue(limit),
            MessageBytes = p.GetValue(size),
        });
    }

    private static Command Search(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var rooms = Int("--rooms", 200, 1, 100_000, "groups of the searching user (one peer in each)");
        var messages = Int("--messages", 20_000, 1, 100_000_000, "messages sent before searching, spread over the rooms at random");
        var iterations = Int("--iterations", 1000, 1, 10_000_000, "searches, one at a time, cycling through Korean, English, mixed and initials queries");
        var search = new Command("search", "one user in --rooms groups; --messages Korean/English messages are sent and indexed, then --iterations searches over the socket (limit 20) are timed")
        {
            rooms, messages, iterations,
        };
        return WithAction(search, run, p => Common(p, "search") with
        {
            Rooms = p.GetValue(rooms),
            Messages = p.GetValue(messages),
            Iterations = p.GetValue(iterations),
        });
    }

    private static Command Connections(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var connections = Int("--connections", 19_000, 1, 1_000_000, "idle connections at the top step (the box caps a process at 20,000 open files: raise `ulimit -n` for the bench and the server first)");
        var steps = new Option<int[]>("--steps")
        {
            Description = "connection counts where server RSS is sampled (default 0, 4000, 8000, ... , --connections)",
            HelpName = "A,B,...",
            CustomParser = r => IntList(r, "--steps", 0, 1_000_000),
        };
        var sources = Int("--sources", 0, 0, 254, "loopback source addresses 127.0.0.1 .. 127.0.0.N (0: one per 25,000 connections; ~28k ephemeral ports per source address)");
        var settle = Number("--settle", 5, 0, 600, "seconds to wait at each step before sampling RSS");
        var hold = Number("--hold", 50, 0, 3600, "seconds to hold all connections at the top, to prove heartbeats keep them open past the server's idle timeout");
        var command = new Command("connections", "--connections idle authenticated sockets with heartbeats, opened in --steps; server memory per connection from the least-squares slope of its VmRSS over the steps")
        {
            connections, steps, sources, settle, hold,
        };
        return WithAction(command, run, p =>
        {
            int top = p.GetValue(connections);
            int[] at = p.GetValue(steps) ?? [];
            if (at.Length == 0)
            {
                at = DefaultSteps(top);
            }
            else
            {
                top = Math.Max(top, at[^1]);
            }

            int from = p.GetValue(sources);
            return Common(p, "connections") with
            {
                Connections = top,
                Steps = at,
                Sources = from > 0 ? from : Math.Max(1, (top + 24_999) / 25_000),
                SettleSeconds = p.GetValue(settle),
                HoldSeconds = p.GetValue(hold),
            };
        });
    }

    /// <summary>The options every scenario that puts load on rooms shares (dm, sweep, group, channel, mixed).</summary>
    private sealed class LoadOptions
    {
        private readonly Option<double>? _rate;
        private readonly Option<double> _duration = Number("--duration", 10, 0.1, 86_400, "measured seconds per run/step");
        private readonly Option<double> _warmup = Number("--warmup", 2, 0, 3600, "seconds sent but not measured before each run/step");
        private readonly Option<double> _drain = Number("--drain", 5, 0, 600, "end the drain after S seconds without any ack or delivery (at most 60 s)");
        private readonly Option<int> _size = Size();
        private readonly Option<int> _maxInFlight = Int("--max-in-flight", 100_000, 1, 10_000_000, "sends outstanding before the generator skips sends as client_backlog");

        /// <summary><paramref name="rate"/> is the default of --rate; null for sweep, whose rates come from --from/--to.</summary>
        public LoadOptions(double? rate)
        {
            if (rate is { } r)
            {
                _rate = Number("--rate", r, 0.001, 10_000_000, "total offered messages/s, split evenly over all senders");
            }
        }

        public void AddTo(Command command)
        {
            if (_rate is not null)
            {
                command.Add(_rate);
            }

            command.Add(_duration);
            command.Add(_warmup);
            command.Add(_drain);
            command.Add(_size);
            command.Add(_maxInFlight);
        }

        public BenchOptions Bind(ParseResult p, string scenario) => Common(p, scenario) with
        {
            Rate = _rate is null ? 0 : p.GetValue(_rate),
            DurationSeconds = p.GetValue(_duration),
            WarmupSeconds = p.GetValue(_warmup),
            DrainSeconds = p.GetValue(_drain),
            MessageBytes = p.GetValue(_size),
            MaxInFlight = p.GetValue(_maxInFlight),
        };
    }

    private static BenchOptions Common(ParseResult p, string scenario) => new()
    {
        Scenario = scenario,
        Urls = ParseUrls(p.GetValue(Url) ?? [DefaultUrl], p.GetValue(AllowRemote)),
        Json = p.GetValue(Json),
        Seed = p.GetValue(Seed),
        ServerPids = p.GetValue(ServerPid) ?? [],
    };

    /// <summary>
    /// Binds the scenario's options and runs it. Checks across options happen while binding, after every value parsed
    /// and passed its own range check; a <see cref="UsageException"/> there is a usage error (exit 2).
    /// </summary>
    private static Command WithAction(Command command, Func<BenchOptions, CancellationToken, Task<int>> run, Func<ParseResult, BenchOptions> bind)
    {
        command.SetAction(async (parse, ct) =>
        {
            BenchOptions options;
            try
            {
                options = bind(parse);
            }
            catch (UsageException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }

            return await run(options, ct);
        });
        return command;
    }

    /// <summary>Load goes only to loopback unless explicitly allowed: a typo must not aim a load test at someone else.</summary>
    private static Uri[] ParseUrls(string[] raw, bool allowRemote)
    {
        var result = new List<Uri>();
        foreach (string s in raw.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
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

        return result.Count > 0 ? [.. result] : throw new UsageException("--url needs at least one URL.");
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

    /// <summary>Comma-separated integers, repeatable; returned sorted and distinct.</summary>
    private static int[] IntList(ArgumentResult r, string name, int min, int max)
    {
        var values = new List<int>();
        foreach (string v in r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
            {
                r.AddError($"{name} takes integers in [{min}, {max}], not '{v}'.");
                return [];
            }

            values.Add(n);
        }

        return [.. values.Order().Distinct()];
    }

    private static int Even(int users) =>
        users % 2 == 0 ? users : throw new UsageException("--users must be even: users are paired into direct rooms.");

    private static Option<int> Users(int defaultValue, string description) => Int("--users", defaultValue, 2, 1_000_000, description);

    private static Option<int> Size() => Int("--size", 64, 1, 1024 * 1024, "message text size in bytes");

    // Values are parsed here rather than by the default converter plus a validator: System.CommandLine runs validators
    // even when the conversion failed, and reading the value there throws.
    private static Option<int> Int(string name, int defaultValue, int min, int max, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            string v = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max)
            {
                return n;
            }

            r.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be an integer in [{min}, {max}], not '{v}'."));
            return 0;
        },
    };

    private static Option<double> Number(string name, double defaultValue, double min, double max, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => ParseNumber(r, name, min, max) ?? 0,
    };

    private static double? ParseNumber(ArgumentResult r, string name, double min, double max)
    {
        string v = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n >= min && n <= max)
        {
            return n;
        }

        r.AddError(string.Create(CultureInfo.InvariantCulture, $"{name} must be a number in [{min}, {max}], not '{v}'."));
        return null;
    }

    private static Option<T> Recursive<T>(Option<T> option)
    {
        option.Recursive = true;
        return option;
    }
}
