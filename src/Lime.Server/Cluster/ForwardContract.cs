using System.Text.Json.Serialization;
using Lime.Server.Chat;
using Lime.Server.Storage;

namespace Lime.Server.Cluster;

/// <summary>
/// Writes for one room forwarded to its owner, in the order the forwarding node received them; the owner queues them
/// to its writer in this order (so one connection's sends keep their order across the forward).
/// </summary>
public sealed record ForwardBatch(long Room, RoomWrite[] Writes);

/// <summary>The outcome of one forwarded write: its result, or the refusal the owner's writer gave (nothing stored).</summary>
public sealed record ForwardOutcome(RoomWriteResult? Result, ForwardError? Error);

/// <summary>A <see cref="LimeException"/> on the wire: the forwarding node rethrows the same code, message and retry-after.</summary>
public sealed record ForwardError(string Code, string Message, long? RetryAfterMs = null)
{
    public static ForwardError From(LimeException e) =>
        new(e.Code, e.Message, e.RetryAfter is { } after ? (long)after.TotalMilliseconds : null);

    public LimeException ToException() =>
        new(Code, Message, RetryAfterMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
}

/// <summary>The internal channel's JSON (source-generated; RoomWrite subtypes by their <c>$type</c>).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ForwardBatch))]
[JsonSerializable(typeof(ForwardOutcome[]))]
[JsonSerializable(typeof(ForwardError))]
[JsonSerializable(typeof(RoomWrite))]
[JsonSerializable(typeof(RoomWriteResult))]
public sealed partial class ClusterJson : JsonSerializerContext;
