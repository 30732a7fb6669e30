using System.Runtime.CompilerServices;

namespace Lime.Tests.Infrastructure;

/// <summary>
/// Where the real PostgreSQL and Redis binaries are (Debian packages). Tests that need them skip when they are
/// missing on a developer machine, and fail when the environment variable CI is set.
/// </summary>
public static class Services
{
    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static string? PostgresBin { get; } = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "postgres"))).Order().LastOrDefault()
        : null;

    public static string? RedisServer { get; } = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    public static bool IsRoot => Environment.UserName == "root";
}

/// <summary>A fact that needs PostgreSQL: skipped locally without it, run (and failing) on CI.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (Services.PostgresBin is null && !Services.InCi)
        {
            Skip = "PostgreSQL binaries not found (apt-get install postgresql); required when CI is set.";
        }
    }
}

/// <summary>A fact that needs PostgreSQL and Redis: skipped locally without them, run (and failing) on CI.</summary>
public sealed class ClusterFactAttribute : FactAttribute
{
    public ClusterFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if ((Services.PostgresBin is null || Services.RedisServer is null) && !Services.InCi)
        {
            Skip = "PostgreSQL or Redis binaries not found (apt-get install postgresql redis-server); required when CI is set.";
        }
    }
}
