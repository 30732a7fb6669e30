namespace Lime.Server.Hosting;

/// <summary>Starts and stops a hosted service chosen by configuration at resolve time, or nothing.</summary>
internal sealed class OptionalHostedService(IHostedService? inner) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => inner?.StartAsync(cancellationToken) ?? Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => inner?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
