using System.Text.Json;
using System.Text.Json.Serialization;
using Lime.Protocol;

namespace Lime.Server.Storage;

/// <summary>The JSON kept in events.data for system events and operations (fields without a column of their own).</summary>
public sealed record EventData(long[]? Users, string? Role, string? Name, string? Emoji = null)
{
    public static string? Serialize(EventDto e) =>
        e.Users is null && e.Role is null && e.Name is null && e.Emoji is null
            ? null
            : JsonSerializer.Serialize(new EventData(e.Users, e.Role, e.Name, e.Emoji), StorageJsonContext.Default.EventData);

    public static EventData? Parse(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, StorageJsonContext.Default.EventData);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventData))]
[JsonSerializable(typeof(long[]))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
