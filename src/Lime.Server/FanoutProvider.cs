namespace Lime.Server;

/// <summary><c>Lime:Fanout:Provider</c>. Bound case-insensitively from its name (<c>memory</c>, <c>redis</c>).</summary>
[System.ComponentModel.TypeConverter(typeof(ConfigEnumConverter<FanoutProvider>))]
public enum FanoutProvider
{
    /// <summary>Embedded default: in-process fanout and presence, one node.</summary>
    Memory = 1,

    /// <summary>Redis pub/sub between nodes, presence in Redis.</summary>
    Redis = 2,
}
