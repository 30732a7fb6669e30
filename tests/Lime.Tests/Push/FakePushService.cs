using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lime.Tests.Push;

/// <summary>A notification a fake accepted, in provider-neutral terms, with what the fake checked on the way.</summary>
public sealed record Delivery(string Service, string Token, string Key, string Title, string Body, long Count, long Badge, long Room, string Protocol, DateTimeOffset At);

/// <summary>
/// A protocol-faithful stand-in for a push service: a real Kestrel server on 127.0.0.1 (port 0), HTTP/1.1 or HTTP/2
/// without TLS (prior knowledge). Subclasses verify what the real service verifies and answer like it; what they
/// accept is recorded as a <see cref="Delivery"/>, what they refuse in <see cref="Refusals"/>.
/// </summary>
public abstract class FakePushService : IAsyncDisposable
{
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<Delivery> Deliveries { get; } = new();

    /// <summary>Requests refused for failing a check (auth, signature, headers): a test expecting none asserts this is empty.</summary>
    public ConcurrentQueue<string> Refusals { get; } = new();

    /// <summary>Every request received, with its arrival time (successful or not).</summary>
    public ConcurrentQueue<(string Token, DateTimeOffset At, int Status)> Requests { get; } = new();

    /// <summary>Overrides the answer for a token: (status, body), or null for the normal success.</summary>
    public Func<string, (int Status, string Body, string? RetryAfter)?> Behavior { get; set; } = _ => null;

    /// <summary>A delay before answering each request (to keep sends in flight).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Requests wait for this before being answered (a closed gate holds them in flight).</summary>
    public Task Gate { get; set; } = Task.CompletedTask;

    protected abstract HttpProtocols Protocols { get; }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = Protocols));
        _app = builder.Build();
        Map(_app);
        await _app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await _app.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Waits until <paramref name="count"/> deliveries match, or throws after <paramref name="timeout"/>.</summary>
    public async Task<List<Delivery>> WaitForAsync(int count, Func<Delivery, bool>? filter = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var matching = Deliveries.Where(filter ?? (_ => true)).ToList();
            if (matching.Count >= count)
            {
                return matching;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{GetType().Name}: {matching.Count} of {count} deliveries arrived; refusals: {string.Join(" | ", Refusals)}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Asserts nothing more matching arrives within <paramref name="quiet"/>.</summary>
    public async Task AssertNoMoreAsync(int expected, Func<Delivery, bool> filter, TimeSpan quiet)
    {
        await Task.Delay(quiet);
        Assert.Equal(expected, Deliveries.Count(filter));
    }

    protected abstract void Map(WebApplication app);

    /// <summary>Records a refusal and answers like the service would.</summary>
    protected IResult Refuse(int status, string why, string body = "")
    {
        Refusals.Enqueue(why);
        return Results.Text(body, "application/json", statusCode: status);
    }

    /// <summary>Applies <see cref="Delay"/> and <see cref="Behavior"/>; null means "answer normally".</summary>
    protected async Task<IResult?> OverrideAsync(HttpContext context, string token)
    {
        await Gate.WaitAsync(TimeSpan.FromSeconds(60));
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay);
        }

        if (Behavior(token) is { } answer)
        {
            Requests.Enqueue((token, DateTimeOffset.UtcNow, answer.Status));
            if (answer.RetryAfter is { } after)
            {
                context.Response.Headers.RetryAfter = after;
            }

            return Results.Text(answer.Body, "application/json", statusCode: answer.Status);
        }

        Requests.Enqueue((token, DateTimeOffset.UtcNow, 200));
        return null;
    }
}
