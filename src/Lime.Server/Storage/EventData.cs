using System.Text.Json;
using System.Text.Json.Serialization;
using Lime.Protocol;

namespace Lime.Server.Storage;

/// <summary>The JSON kept in events.data for system events, operations and the mentions and attachments of messages (fields without a column of their own).</summary>
public sealed record EventData(
    long[]? Users,
    string? Role,
    string? Name,
    string? Emoji = null,
    string? Topic = null,
    string? Description = null,
    bool? ApprovalRequired = null,
    long? Until = null,
    long? Invite = null,
    int? MaxUses = null,
    long[]? Mentions = null,
    bool? MentionRoom = null,
    AttachmentDto[]? Attachments = null,
    int? RetentionDays = null)
{
    public static string? Serialize(EventDto e)
    {
        var data = new EventData(e.Users, e.Role, e.Name, e.Emoji, e.Topic, e.Description, e.ApprovalRequired, e.Until, e.Invite, e.MaxUses, e.Mentions, e.MentionRoom, e.Attachments, e.RetentionDays);
        return data == Empty ? null : JsonSerializer.Serialize(data, StorageJsonContext.Default.EventData);
    }

    private static readonly EventData Empty = new(null, null, null);

    public static EventData? Parse(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, StorageJsonContext.Default.EventData);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventData))]
[JsonSerializable(typeof(long[]))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
