namespace Lime.Server.Push;

/// <summary>
/// The push pipeline's log messages, with stable event ids (2000-2099). Kept beside the pipeline rather than in
/// Diagnostics/Log.cs so the push feature stays in its own folder. Never logs tokens, keys or message text.
/// </summary>
public static partial class PushLog
{
    [LoggerMessage(2000, LogLevel.Information, "Outbox dispatcher {Claimer} started: {Workers} workers, push {Push} ({Providers})")]
    public static partial void DispatcherStarted(ILogger logger, string claimer, int workers, string push, string providers);

    [LoggerMessage(2001, LogLevel.Information, "Released {Count} outbox entries this node had claimed before it restarted")]
    public static partial void ReleasedOwnClaims(ILogger logger, int count);

    [LoggerMessage(2002, LogLevel.Error, "Claiming outbox entries failed; retrying")]
    public static partial void ClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(2003, LogLevel.Error, "Recording the outcome of {Count} outbox entries failed; they are handed out again when their lease ends")]
    public static partial void FinishFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(2004, LogLevel.Error, "An outbox handler failed on a batch of {Count} entries; the batch is retried")]
    public static partial void HandlerFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(2005, LogLevel.Warning, "Outbox entry {Id} ({Topic}) moved to the dead letters after {Attempts} attempts: {Error}")]
    public static partial void DeadLettered(ILogger logger, long id, string topic, long attempts, string error);

    [LoggerMessage(2006, LogLevel.Debug, "Outbox entry {Id} has topic {Topic}, which nothing handles; dropped")]
    public static partial void UnhandledTopic(ILogger logger, long id, string topic);

    [LoggerMessage(2010, LogLevel.Information, "Push target {TargetId} ({Kind}) of device {DeviceId} removed: {Reason}")]
    public static partial void TargetRemoved(ILogger logger, long targetId, string kind, long deviceId, string reason);

    [LoggerMessage(2011, LogLevel.Debug, "Push via {Kind} to target {TargetId} failed: {Error}")]
    public static partial void SendFailed(ILogger logger, string kind, long targetId, string error);

    [LoggerMessage(2012, LogLevel.Warning, "Push target {TargetId} has kind {Kind}, whose provider is not enabled; skipped")]
    public static partial void ProviderMissing(ILogger logger, long targetId, string kind);

    [LoggerMessage(2020, LogLevel.Information, "Pruned {Count} idempotency keys older than {Hours} h")]
    public static partial void LedgerPruned(ILogger logger, int count, int hours);

    [LoggerMessage(2021, LogLevel.Warning, "Pruning the push idempotency ledger failed")]
    public static partial void LedgerPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(2030, LogLevel.Information, "Generated a VAPID key pair into {Path}")]
    public static partial void VapidKeyGenerated(ILogger logger, string path);
}
