namespace Lime.Server;

/// <summary><c>Lime:Logging:Format</c>. Bound case-insensitively from its name (<c>text</c>, <c>json</c>).</summary>
[System.ComponentModel.TypeConverter(typeof(ConfigEnumConverter<LogFormat>))]
public enum LogFormat
{
    /// <summary>ASP.NET Core's console lines, as configured under <c>Logging:Console</c>.</summary>
    Text = 1,

    /// <summary>One JSON object per line (the built-in JSON console formatter), UTC timestamps, with scopes: request ids.</summary>
    Json = 2,
}
