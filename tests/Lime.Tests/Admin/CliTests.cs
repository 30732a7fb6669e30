using Lime.Cli;
using Lime.Client;
using Lime.Protocol;
using Lime.Tests.Infrastructure;

namespace Lime.Tests.Admin;

/// <summary>The <c>lime</c> CLI (tools/Lime.Cli) run against an in-process server on both backends: each admin command does what it says, refusals exit 1 with the server's code, bad usage exits 2.</summary>
public abstract class CliTests(TestBackend backend) : IAsyncLifetime
{
    private readonly LimeServer _server = new(backend, new Dictionary<string, string?> { ["Lime:Push:AdminUserIds:0"] = "1" });
    private TestUser _admin = null!;

    public async ValueTask InitializeAsync()
    {
        TestBackends.SkipUnlessSelected(backend);
        _admin = await _server.NewUserAsync("admin");
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task<(int Exit, string Out, string Error)> LimeAsync(params string[] args) => await LimeAsAsync(_admin, args);

    private async Task<(int Exit, string Out, string Error)> LimeAsAsync(TestUser user, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var env = new CliEnvironment(_ => _server.CreateClient(), output, error,
            name => name switch { "LIME_USER" => user.Tokens.User.Username, "LIME_PASSWORD" => "correct horse battery", _ => null }, Interactive: false);
        int exit = await LimeCli.RunAsync(args, env);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Admin_commands_find_disable_logout_purge_and_report()
    {
        var bob = await _server.NewUserAsync("clibob");
        var room = await bob.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "cli room"));
        for (int i = 0; i < 12; i++)
        {
            await bob.Http.SendAsync(room.Id, new SendMessageRequest($"m{i}", $"message {i}"));
        }

        var find = await LimeAsync("admin", "users", "find", "clibob");
        Assert.Equal(0, find.Exit);
        Assert.Contains(bob.Tokens.User.Username, find.Out, StringComparison.Ordinal);
        Assert.Contains("1 user(s)", find.Out, StringComparison.Ordinal);

        var stats = await LimeAsync("admin", "stats", "--days", "3");
        Assert.Equal(0, stats.Exit);
        Assert.Matches(@"messages\s*│\s*12", stats.Out);

        // Purge by seq in steps of 4 (a progress bar when interactive): everything before seq 10 goes.
        var purge = await LimeAsync("admin", "rooms", "purge", room.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--before-seq", "10", "--step", "4");
        Assert.True(purge.Exit == 0, purge.Error);
        Assert.Contains("history now starts at seq 10", purge.Out, StringComparison.Ordinal);
        var history = await bob.Http.GetHistoryAsync(room.Id, limit: 100);
        Assert.Equal(10, history.RetainedFrom);
        Assert.Equal(10, history.Events[0].Seq);

        var logout = await LimeAsync("admin", "users", "logout", bob.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("1 device(s) logged out", logout.Out, StringComparison.Ordinal);
        Assert.Equal(401, (await Assert.ThrowsAsync<LimeApiException>(() => bob.Http.GetMeAsync())).Status);
        var disable = await LimeAsync("admin", "users", "disable", bob.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("disabled", disable.Out, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.AccountDisabled, (await Assert.ThrowsAsync<LimeApiException>(() => bob.NewDeviceAsync())).Code);

        var dead = await LimeAsync("admin", "dead-letters");
        Assert.Equal(0, dead.Exit);
        Assert.Contains("0 dead letter(s)", dead.Out, StringComparison.Ordinal);

        // Every command was audited (and the CLI logged its own session out each time).
        var audit = await LimeAsync("admin", "audit", "--limit", "100");
        Assert.Contains("POST /api/admin/rooms/{id:long}/purge", audit.Out, StringComparison.Ordinal);
        Assert.Single(await _admin.Http.ListDevicesAsync());
    }

    [Fact]
    public async Task Refusals_exit_1_with_the_server_code_and_bad_usage_exits_2()
    {
        var mallory = await _server.NewUserAsync("mallory");
        var refused = await LimeAsAsync(mallory, "admin", "stats");
        Assert.Equal(1, refused.Exit);
        Assert.Contains("403 forbidden", refused.Error, StringComparison.Ordinal);

        var room = await _admin.Http.CreateRoomAsync(new CreateRoomRequest(RoomKinds.Group, "short"));
        var past = await LimeAsync("admin", "rooms", "purge", room.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--before-seq", "99");
        Assert.Equal(1, past.Exit);
        Assert.Contains("400 validation", past.Error, StringComparison.Ordinal);
        Assert.Single((await _admin.Http.GetHistoryAsync(room.Id)).Events);

        Assert.Equal(2, (await LimeAsync("admin", "rooms", "purge", room.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))).Exit);
        Assert.Equal(2, (await LimeAsync("admin", "users", "disable", "not-a-number")).Exit);
        Assert.Equal(2, (await LimeAsync("admin", "nonsense")).Exit);
        Assert.Equal(1, (await LimeAsync("admin", "users", "disable", "999999")).Exit);
    }
}

public sealed class SqliteCliTests() : CliTests(TestBackend.Sqlite);

public sealed class PostgresCliTests() : CliTests(TestBackend.PostgresRedis);
