namespace Lime.Server.Push;

/// <summary>
/// A claimed outbox entry. <see cref="DueAt"/> is when it became due (its creation, a scheduled retry, or the end of
/// a dead dispatcher's lease); <see cref="Attempts"/> counts claims including this one.
/// <see cref="TargetId"/> is set on <c>push_digest</c> entries only.
/// </summary>
public sealed record OutboxEntry(long Id, long RoomId, long Seq, string Topic, long CreatedAt, long Attempts, long DueAt, long? TargetId);
