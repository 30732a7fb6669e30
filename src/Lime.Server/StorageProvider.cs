namespace Lime.Server;

/// <summary><c>Lime:Storage:Provider</c>. Bound case-insensitively from its name (<c>sqlite</c>, <c>postgres</c>).</summary>
[System.ComponentModel.TypeConverter(typeof(ConfigEnumConverter<StorageProvider>))]
public enum StorageProvider
{
    /// <summary>Embedded default: one node, one SQLite file in the data directory.</summary>
    Sqlite = 1,

    /// <summary>PostgreSQL (with a synchronous standby in production): several nodes.</summary>
    Postgres = 2,
}
