using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Lime.Server.Diagnostics;
using Lime.Server.Redis;
using StackExchange.Redis;

namespace Lime.Server.Auth;

/// <summary>
/// Revocations across nodes through Redis pub/sub: every node subscribes to one channel (<see cref="RedisKeys.Revocations"/>)
/// for as long as it runs, and applies what other processes publish there. Delivery takes milliseconds while Redis is
/// up; the bound LIME states is 1 s. At most once (see <see cref="IRevocationRelay"/> for what covers a lost one).
/// Payload: 8 bytes origin (random per process, so our own publish is skipped) + 8 bytes device id + the reason (UTF-8).
/// </summary>
public sealed class RedisRevocationRelay(RedisConnection redis, SessionRevocation revocation, ILogger<RedisRevocationRelay> log)
    : IRevocationRelay, IHostedService, IDisposable
{
    private const int MaxReason = 64;
    private readonly long _origin = BinaryPrimitives.ReadInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
    private readonly CancellationTokenSource _stopping = new();
    private Task? _subscribing;

    public void Publish(long deviceId, string reason)
    {
        byte[] text = Encoding.UTF8.GetBytes(reason.Length > MaxReason ? reason[..MaxReason] : reason);
        byte[] payload = new byte[16 + text.Length];
        BinaryPrimitives.WriteInt64LittleEndian(payload, _origin);
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(8), deviceId);
        text.CopyTo(payload, 16);
        try
        {
            redis.Subscriber.Publish(RedisKeys.Revocations, payload, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Log.RevocationPublishFailed(log, deviceId, e);
        }
    }

    /// <summary>Subscribes in the background (retrying each second while Redis is unreachable), so start-up never waits on Redis.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscribing = Task.Run(SubscribeAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_subscribing is not null)
        {
            await _subscribing.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task SubscribeAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                // Once subscribed, the multiplexer restores the subscription by itself after a reconnect.
                await redis.Subscriber.SubscribeAsync(RedisKeys.Revocations, (_, value) => Receive(value));
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                Log.FanoutSubscribeFailed(log, RedisKeys.Revocations.ToString(), e);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Receive(RedisValue value)
    {
        byte[]? payload = value;
        if (payload is not { Length: >= 16 } || BinaryPrimitives.ReadInt64LittleEndian(payload) == _origin)
        {
            return; // malformed, or our own: applied here already
        }

        long deviceId = BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(8));
        string reason = Encoding.UTF8.GetString(payload.AsSpan(16, Math.Min(payload.Length - 16, MaxReason)));
        revocation.ApplyHere(deviceId, reason);
    }
}
