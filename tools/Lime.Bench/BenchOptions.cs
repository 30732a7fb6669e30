namespace Lime.Bench;

/// <summary>
/// What one bench run was asked to do, bound from the command line by <see cref="BenchCommandLine"/> (which holds the
/// defaults, ranges and descriptions of every option). Each scenario reads the properties it has options for.
/// </summary>
internal sealed record BenchOptions
{
    public required string Scenario { get; init; }
    public IReadOnlyList<Uri> Urls { get; init; } = [];
    public bool Json { get; init; }
    public int Seed { get; init; } = 1;

    /// <summary>The server processes named with --server-pid; empty means "find them" (see <see cref="ServerProcess.Find"/>).</summary>
    public IReadOnlyList<int> ServerPids { get; init; } = [];

    // dm, sweep, group, channel, mixed
    public int Users { get; init; }
    public double Rate { get; init; }
    public double DurationSeconds { get; init; }
    public double WarmupSeconds { get; init; }
    public double DrainSeconds { get; init; }
    public int MessageBytes { get; init; }
    public int MaxInFlight { get; init; }

    // sweep
    public double From { get; init; }
    public double? Step { get; init; }
    public double Factor { get; init; }
    public double To { get; init; }
    public double BoundMs { get; init; }

    // catchup, group
    public int Rooms { get; init; }
    public int Messages { get; init; }
    public int Iterations { get; init; }
    public string Mode { get; init; } = "sync";
    public int LimitPerRoom { get; init; }

    // group, channel
    public int Members { get; init; }
    public int Senders { get; init; }

    // connections
    public int Connections { get; init; }
    public IReadOnlyList<int> Steps { get; init; } = [];
    public int Sources { get; init; }
    public double SettleSeconds { get; init; }
    public double HoldSeconds { get; init; }

    // mixed
    public double DmShare { get; init; }
    public int Contacts { get; init; }
    public int GroupsPerUser { get; init; }
    public int DmReadEvery { get; init; }
    public int GroupReadEvery { get; init; }
    public int TypingEvery { get; init; }
}
