namespace Lime.Server.Push;

/// <summary>What handling an outbox entry came to.</summary>
public enum OutboxOutcomeKind
{
    /// <summary>Handled (or nothing to do): the entry is deleted.</summary>
    Done,

    /// <summary>Failed for now: retried after a backoff, dead-lettered once the attempts are used up.</summary>
    Retry,

    /// <summary>Failed in a way no retry fixes: dead-lettered now.</summary>
    Fail,
}

/// <summary>A handler's verdict on one entry; <see cref="RetryAfter"/> is a lower bound a service asked for.</summary>
public readonly record struct OutboxOutcome(OutboxOutcomeKind Kind, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static readonly OutboxOutcome Done = new(OutboxOutcomeKind.Done);

    public static OutboxOutcome Retry(string error, TimeSpan? retryAfter = null) => new(OutboxOutcomeKind.Retry, error, retryAfter);

    public static OutboxOutcome Fail(string error) => new(OutboxOutcomeKind.Fail, error);
}
