using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Lime.Server;
using Lime.Server.Auth;
using Lime.Server.Storage;
using Lime.Server.Storage.Sql;
using Lime.Server.Storage.Sqlite;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Lime.Benchmarks;

/// <summary>
/// What a login costs for a username that exists (wrong password) and for one that does not, at the production
/// hashing cost (<c>Lime:Auth:PasswordIterations</c> default, PBKDF2-HMAC-SHA512): the part of
/// <c>AccountService.LoginAsync</c> where the two differ — the user lookup in SQLite and the password check through
/// <see cref="PasswordHashing"/>, which verifies an unknown user against a dummy hash of the same cost. Everything
/// else on the path (throttle check, the 401) is the same for both. Before the dummy hash the unknown path skipped
/// the hash: 2.8 ms against 164 ms over HTTP, so usernames could be enumerated by timing. One login per iteration,
/// 100 of them, so Median and P99 are of single logins.
/// </summary>
[Config(typeof(Config))]
public class LoginTimingBenchmarks : IDisposable
{
    private const string Known = "known-user";
    private string _dir = "";
    private SqlAccountStore _accounts = null!;
    private PasswordHashing _passwords = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "lime-bdn-login-" + Guid.NewGuid().ToString("N")[..8]);
        var options = Options.Create(new LimeOptions { Storage = { DataDirectory = _dir } });
        var db = new SqliteDatabase(options);
        db.Migrate();
        _accounts = new SqlAccountStore(db);
        var hasher = new PasswordHasher<UserRecord>(Options.Create(new PasswordHasherOptions { IterationCount = options.Value.Auth.PasswordIterations }));
        _passwords = new PasswordHashing(hasher, options);
        string hash = hasher.HashPassword(null!, "correct horse battery");
        _accounts.CreateUserAsync(Known, Known, hash, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), CancellationToken.None).GetAwaiter().GetResult();
        // The dummy hash is made on first use; make it here, not in the first measured unknown login.
        _passwords.VerifyAsync(null, "x", CancellationToken.None).GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "login: known user, wrong password")]
    public async Task<bool> KnownUser()
    {
        var user = await _accounts.FindUserByNameAsync(Known, CancellationToken.None);
        return await _passwords.VerifyAsync(user, "wrong password", CancellationToken.None);
    }

    [Benchmark(Description = "login: unknown user")]
    public async Task<bool> UnknownUser()
    {
        var user = await _accounts.FindUserByNameAsync("no-such-user", CancellationToken.None);
        return await _passwords.VerifyAsync(user, "wrong password", CancellationToken.None);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _passwords?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp directory.
        }

        GC.SuppressFinalize(this);
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // In process: no generated project to build, and the whole run is two times 105 logins.
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(5).WithIterationCount(100)
                .WithInvocationCount(1).WithUnrollFactor(1).WithToolchain(InProcessEmitToolchain.Instance));
            AddColumn(StatisticColumn.Median, StatisticColumn.P95, new P99Column());
        }
    }

    /// <summary>The 99th percentile of the measured iterations (BenchmarkDotNet's built-in columns stop at P95).</summary>
    private sealed class P99Column : IColumn
    {
        public string Id => "P99";

        public string ColumnName => "P99";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => 100;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "99th percentile of single logins";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
            summary[benchmarkCase]?.ResultStatistics is { } statistics
                ? (statistics.Percentiles.Percentile(99) / 1e6).ToString("N2", CultureInfo.InvariantCulture) + " ms"
                : "NA";

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
