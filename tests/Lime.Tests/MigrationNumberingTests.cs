using System.Text.RegularExpressions;
using Lime.Server.Storage.Postgres;
using Lime.Server.Storage.Sqlite;

namespace Lime.Tests;

/// <summary>
/// Each engine's migrations are numbered 1..SchemaVersion, each number once: two branches that both add "007_..."
/// would otherwise build and then refuse to start (two matching scripts) or skip one of them.
/// </summary>
public sealed partial class MigrationNumberingTests
{
    [Theory]
    [InlineData("Lime.Sqlite.", SqliteDatabase.SchemaVersion)]
    [InlineData("Lime.Postgres.", PostgresDatabase.SchemaVersion)]
    public void Migrations_are_numbered_one_to_the_schema_version_each_once(string prefix, int schemaVersion)
    {
        var numbers = typeof(SqliteDatabase).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => Number().Match(n[prefix.Length..]))
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .Order()
            .ToList();

        Assert.Equal(Enumerable.Range(1, schemaVersion), numbers);
    }

    [GeneratedRegex("^([0-9]{3})_")]
    private static partial Regex Number();
}
