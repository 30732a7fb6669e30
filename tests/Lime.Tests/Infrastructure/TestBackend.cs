namespace Lime.Tests.Infrastructure;

/// <summary>The two production shapes a behaviour suite runs on (one subclass per backend, both in a plain run).</summary>
public enum TestBackend
{
    /// <summary>The embedded default: SQLite in the server's data directory, in-process fanout and presence.</summary>
    Sqlite,

    /// <summary>PostgreSQL storage with Redis fanout and presence: the assembly's shared servers, a fresh database each.</summary>
    PostgresRedis,
}

/// <summary>
/// Which backends run here. <c>LIME_TEST_BACKEND</c> = <c>sqlite</c> | <c>postgres</c> | <c>both</c> (default both;
/// CI runs both) narrows a local run. A backend whose servers are missing is skipped locally and fails with CI set.
/// </summary>
public static class TestBackends
{
    public const string Variable = "LIME_TEST_BACKEND";

    /// <summary>Why tests on <paramref name="backend"/> do not run here, or null when they run.</summary>
    public static string? SkipReason(TestBackend backend)
    {
        string chosen = (Environment.GetEnvironmentVariable(Variable) ?? "both").Trim().ToLowerInvariant();
        bool selected = chosen switch
        {
            "" or "both" => true,
            "sqlite" => backend == TestBackend.Sqlite,
            "postgres" => backend == TestBackend.PostgresRedis,
            _ => throw new InvalidOperationException($"{Variable} must be sqlite, postgres or both (was '{chosen}')."),
        };
        if (!selected)
        {
            return $"{Variable}={chosen} leaves out {backend}.";
        }

        if (backend == TestBackend.PostgresRedis && (Services.PostgresBin is null || Services.RedisServer is null) && !Services.InCi)
        {
            return "PostgreSQL or Redis binaries not found (apt-get install postgresql redis-server); required when CI is set.";
        }

        return null;
    }

    /// <summary>Skips the running test when <paramref name="backend"/> does not run here.</summary>
    public static void SkipUnlessSelected(TestBackend backend)
    {
        if (SkipReason(backend) is { } reason)
        {
            Assert.Skip(reason);
        }
    }
}
