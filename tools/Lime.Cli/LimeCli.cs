using System.CommandLine;
using System.Globalization;
using Lime.Client;
using Lime.Protocol;
using Spectre.Console;

namespace Lime.Cli;

/// <summary>
/// <c>lime</c>: the operator's command line for the admin API (docs/operations.md "The lime CLI"). Every command
/// logs in (or takes a token), calls the API through <see cref="LimeAdminClient"/>, prints a table and logs out
/// again. Exit codes: 0 done, 1 refused by the server (its ProblemDetails code is printed), 2 bad usage.
/// </summary>
public static class LimeCli
{
    public const string DefaultServer = "http://127.0.0.1:5080";

    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken ct = default)
    {
        var root = Build(env);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await env.Error.WriteLineAsync(error.Message);
            }

            await env.Error.WriteLineAsync("Run with --help for the commands and their options.");
            return 2;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error }, ct);
    }

    private static readonly Option<string?> Server = new("--server") { Description = "server root URL (or LIME_SERVER; default " + DefaultServer + ")", Recursive = true };
    private static readonly Option<string?> User = new("--user") { Description = "administrator's username (or LIME_USER)", Recursive = true };
    private static readonly Option<string?> Password = new("--password") { Description = "their password (or LIME_PASSWORD)", Recursive = true };
    private static readonly Option<string?> Token = new("--token") { Description = "an access token instead of user and password (or LIME_TOKEN)", Recursive = true };

    private static RootCommand Build(CliEnvironment env)
    {
        var root = new RootCommand("lime: LIME's command line for operators (the admin API, docs/operations.md).") { Server, User, Password, Token };
        var admin = new Command("admin", "administration through /api/admin (the caller must be in Lime:Push:AdminUserIds)");
        root.Add(admin);

        var users = new Command("users", "find, disable, enable, log out and delete accounts");
        admin.Add(users);
        var q = new Argument<string>("query") { Description = "username prefix or user id" };
        var limit = new Option<int?>("--limit") { Description = "most rows (1-200)" };
        var find = new Command("find", "users by username prefix or id") { q, limit };
        find.SetAction((p, ct) => RunAsync(env, p, async (api, console) =>
        {
            var found = await api.FindUsersAsync(p.GetValue(q)!, p.GetValue(limit), ct);
            var table = new Table().AddColumns("id", "username", "display name", "created", "disabled", "deleted", "devices");
            foreach (var u in found.Users)
            {
                table.AddRow(Str(u.Id), Markup.Escape(u.Username), Markup.Escape(u.DisplayName), Time(u.CreatedAt), u.DisabledAt is { } d ? Time(d) : "-", u.Deleted ? "yes" : "no", Str(u.LiveDevices));
            }

            console.Write(table);
            console.WriteLine($"{found.Users.Length} user(s)");
        }));
        users.Add(find);
        users.Add(UserAction(env, "disable", "refuse login and refresh and log out every device", async (api, id, ct) =>
            Describe(await api.DisableUserAsync(id, ct))));
        users.Add(UserAction(env, "enable", "allow login again", async (api, id, ct) => Describe(await api.EnableUserAsync(id, ct))));
        users.Add(UserAction(env, "logout", "log out every device of the user", async (api, id, ct) =>
            $"user {id}: {(await api.LogoutUserAsync(id, ct)).DevicesLoggedOut} device(s) logged out"));
        users.Add(UserAction(env, "delete", "delete the account (docs/operations.md, Account deletion)", async (api, id, ct) =>
        {
            await api.DeleteUserAsync(id, ct);
            return $"user {id}: deleted";
        }));

        var rooms = new Command("rooms", "find, inspect, delete and purge rooms");
        admin.Add(rooms);
        var rq = new Argument<string>("query") { Description = "group/channel name prefix or room id" };
        var roomFind = new Command("find", "rooms by name prefix or id") { rq, limit };
        roomFind.SetAction((p, ct) => RunAsync(env, p, async (api, console) =>
        {
            var found = await api.FindRoomsAsync(p.GetValue(rq)!, p.GetValue(limit), ct);
            console.Write(RoomTable(found.Rooms));
            console.WriteLine($"{found.Rooms.Length} room(s)");
        }));
        rooms.Add(roomFind);
        rooms.Add(RoomAction(env, "inspect", "a room's size, last seq, retained start and TTL", async (api, console, id, ct) =>
            console.Write(RoomTable([await api.GetRoomAsync(id, ct)]))));
        rooms.Add(RoomAction(env, "delete", "delete a group or channel (every member leaves with room_deleted)", async (api, console, id, ct) =>
        {
            await api.DeleteRoomAsync(id, ct);
            console.WriteLine($"room {id}: deleted");
        }));
        rooms.Add(Purge(env));

        var days = new Option<int?>("--days") { Description = "messages per day over this many days (1-366, default 30)" };
        var stats = new Command("stats", "users, rooms, messages per day, connections, outbox") { days };
        stats.SetAction((p, ct) => RunAsync(env, p, async (api, console) =>
        {
            var s = await api.GetStatsAsync(p.GetValue(days), ct);
            var table = new Table().AddColumns("what", "count");
            table.AddRow("users", Str(s.Users)).AddRow("rooms", Str(s.Rooms)).AddRow("messages", Str(s.Messages))
                .AddRow("connections (this node)", Str(s.Connections)).AddRow("outbox pending", Str(s.OutboxPending)).AddRow("outbox dead letters", Str(s.OutboxDead));
            foreach (var d in s.MessagesPerDay)
            {
                table.AddRow("messages on " + d.Day, Str(d.Messages));
            }

            console.Write(table);
        }));
        admin.Add(stats);

        var requeue = new Option<bool>("--requeue") { Description = "requeue every dead letter (fresh attempts)" };
        var dead = new Command("dead-letters", "outbox entries that ran out of attempts") { limit, requeue };
        dead.SetAction((p, ct) => RunAsync(env, p, async (api, console) =>
        {
            if (p.GetValue(requeue))
            {
                console.WriteLine($"{(await api.RequeueDeadLettersAsync(null, ct)).Requeued} dead letter(s) requeued");
                return;
            }

            var page = await api.ListDeadLettersAsync(null, p.GetValue(limit), ct);
            var table = new Table().AddColumns("id", "topic", "room", "seq", "attempts", "dead at", "last error");
            foreach (var d in page.DeadLetters)
            {
                table.AddRow(Str(d.Id), d.Topic, Str(d.Room), Str(d.Seq), Str(d.Attempts), Time(d.DeadAt), Markup.Escape(d.LastError));
            }

            console.Write(table);
            console.WriteLine($"{page.DeadLetters.Length} dead letter(s)");
        }));
        admin.Add(dead);

        var audit = new Command("audit", "the admin audit, newest first") { limit };
        audit.SetAction((p, ct) => RunAsync(env, p, async (api, console) =>
        {
            var page = await api.ListAuditAsync(null, p.GetValue(limit) ?? 50, ct);
            var table = new Table().AddColumns("id", "at", "admin", "action", "target", "outcome", "parameters");
            foreach (var e in page.Entries)
            {
                table.AddRow(Str(e.Id), Time(e.At), Str(e.AdminId), Markup.Escape(e.Action), Markup.Escape(e.Target ?? "-"), e.Outcome, Markup.Escape(e.Parameters ?? ""));
            }

            console.Write(table);
        }));
        admin.Add(audit);
        return root;
    }

    /// <summary>
    /// rooms purge: by time in one call; by seq in steps of --step seqs from the retained start, with a progress bar,
    /// so a long purge shows how far it is and an interrupted one keeps what it did.
    /// </summary>
    private static Command Purge(CliEnvironment env)
    {
        var id = new Argument<long>("room") { Description = "room id" };
        var beforeSeq = new Option<long?>("--before-seq") { Description = "remove every event with a smaller seq (at most last seq + 1)" };
        var beforeTime = new Option<DateTimeOffset?>("--before-time") { Description = "remove every event older than this (ISO 8601)" };
        var step = new Option<long>("--step") { Description = "seqs per request when purging by seq", DefaultValueFactory = _ => 5000 };
        var purge = new Command("purge", "remove a room's history before a seq or a time (exactly one)") { id, beforeSeq, beforeTime, step };
        purge.SetAction((p, ct) => RunAsync(env, p, async (api, console) =>
        {
            long room = p.GetValue(id);
            var (seq, time, by) = (p.GetValue(beforeSeq), p.GetValue(beforeTime), p.GetValue(step));
            if ((seq is null) == (time is null) || by < 1)
            {
                throw new UsageException("Give exactly one of --before-seq and --before-time (and --step ≥ 1).");
            }

            if (time is { } t)
            {
                Report(console, room, await api.PurgeRoomAsync(room, new PurgeRequest(BeforeTime: t.ToUnixTimeMilliseconds()), ct));
                return;
            }

            var before = await api.GetRoomAsync(room, ct);
            long target = seq!.Value;
            if (target > before.LastSeq + 1)
            {
                // Let the server refuse it with its own code and message: nothing is done.
                await api.PurgeRoomAsync(room, new PurgeRequest(BeforeSeq: target), ct);
            }

            long start = Math.Min(before.RetainedFrom, target);
            long events = 0, messages = 0, retained = before.RetainedFrom;
            await console.Progress().AutoClear(false).StartAsync(async progress =>
            {
                var bar = progress.AddTask($"room {room}: purging before seq {target}", maxValue: Math.Max(1, target - start));
                for (long next = Math.Min(target, start + by); ; next = Math.Min(target, next + by))
                {
                    var done = await api.PurgeRoomAsync(room, new PurgeRequest(BeforeSeq: next), ct);
                    events += done.RemovedEvents;
                    messages += done.RemovedMessages;
                    retained = Math.Max(retained, done.RetainedFrom);
                    bar.Value = next - start;
                    if (next >= target)
                    {
                        break;
                    }
                }

                bar.Value = bar.MaxValue;
            });
            Report(console, room, new PurgeResponse(room, events, messages, retained, 0));
        }));
        return purge;
    }

    private static void Report(IAnsiConsole console, long room, PurgeResponse r) =>
        console.WriteLine($"room {room}: {r.RemovedEvents} event(s) removed ({r.RemovedMessages} message(s)); history now starts at seq {r.RetainedFrom}");

    private static Command UserAction(CliEnvironment env, string name, string description, Func<LimeAdminClient, long, CancellationToken, Task<string>> act)
    {
        var id = new Argument<long>("user") { Description = "user id" };
        var command = new Command(name, description) { id };
        command.SetAction((p, ct) => RunAsync(env, p, async (api, console) => console.WriteLine(await act(api, p.GetValue(id), ct))));
        return command;
    }

    private static Command RoomAction(CliEnvironment env, string name, string description, Func<LimeAdminClient, IAnsiConsole, long, CancellationToken, Task> act)
    {
        var id = new Argument<long>("room") { Description = "room id" };
        var command = new Command(name, description) { id };
        command.SetAction((p, ct) => RunAsync(env, p, (api, console) => act(api, console, p.GetValue(id), ct)));
        return command;
    }

    private static string Describe(AdminUserDto u) =>
        $"user {u.Id} ({u.Username}): {(u.DisabledAt is null ? "enabled" : "disabled")}, {u.LiveDevices} live device(s)";

    private static Table RoomTable(IEnumerable<AdminRoomDto> rooms)
    {
        var table = new Table().AddColumns("id", "kind", "name", "members", "last seq", "retained from", "ttl days", "created", "deleted");
        foreach (var r in rooms)
        {
            table.AddRow(Str(r.Id), r.Kind, Markup.Escape(r.Name ?? "-"), Str(r.MemberCount), Str(r.LastSeq), Str(r.RetainedFrom), r.RetentionDays is { } d ? Str(d) : "default", Time(r.CreatedAt), r.Deleted ? "yes" : "no");
        }

        return table;
    }

    /// <summary>Logs in (or takes the token), runs <paramref name="act"/>, logs out; maps refusals to exit codes.</summary>
    private static async Task<int> RunAsync(CliEnvironment env, ParseResult p, Func<LimeAdminClient, IAnsiConsole, Task> act)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(env.Out),
            Ansi = env.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = env.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = env.Interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!env.Interactive)
        {
            console.Profile.Width = 240;
        }

        string server = p.GetValue(Server) ?? env.Variable("LIME_SERVER") ?? DefaultServer;
        if (!Uri.TryCreate(server, UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
        {
            await env.Error.WriteLineAsync($"--server must be an http(s) URL (was '{server}').");
            return 2;
        }

        using var http = env.CreateHttp(root);
        var session = new LimeHttpClient(http);
        bool loggedIn = false;
        try
        {
            if ((p.GetValue(Token) ?? env.Variable("LIME_TOKEN")) is { Length: > 0 } token)
            {
                session.AccessToken = token;
            }
            else
            {
                string? user = p.GetValue(User) ?? env.Variable("LIME_USER");
                string? password = p.GetValue(Password) ?? env.Variable("LIME_PASSWORD");
                if (string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password))
                {
                    throw new UsageException("Give --user and --password (or LIME_USER and LIME_PASSWORD), or --token (LIME_TOKEN).");
                }

                await session.LoginAsync(new LoginRequest(user, password, "lime cli"));
                loggedIn = true;
            }

            await act(new LimeAdminClient(http, session), console);
            return 0;
        }
        catch (UsageException e)
        {
            await env.Error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (LimeApiException e)
        {
            await env.Error.WriteLineAsync($"refused: {e.Status} {e.Code}: {e.Detail ?? e.Message}");
            return 1;
        }
        catch (HttpRequestException e)
        {
            await env.Error.WriteLineAsync($"cannot reach {root}: {e.Message}");
            return 1;
        }
        finally
        {
            if (loggedIn)
            {
                try
                {
                    await session.LogoutAsync();
                }
                catch (Exception e) when (e is LimeApiException or HttpRequestException)
                {
                    // The session expires on its own.
                }
            }
        }
    }

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed class UsageException(string message) : Exception(message);
}
