using Lime.Server.Storage.Postgres;
using Lime.Server.Storage.Sqlite;

namespace Lime.Tests;

/// <summary>
/// The numbered migrations embedded in the server: exactly one per version per backend, none beyond the schema the build
/// understands. (Two branches once landed a schema 7 each: every server start then failed, while the build was green.)
/// </summary>
public sealed class MigrationTests
{
    [Theory]
    [InlineData("Lime.Sqlite.", SqliteDatabase.SchemaVersion)]
    [InlineData("Lime.Postgres.", PostgresDatabase.SchemaVersion)]
    public void Every_schema_version_has_exactly_one_migration(string prefix, int schemaVersion)
    {
        var names = typeof(SqliteDatabase).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var versions = names.Select(n => int.Parse(n.AsSpan(prefix.Length, 3), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(1, schemaVersion), versions.Order());
    }
}
