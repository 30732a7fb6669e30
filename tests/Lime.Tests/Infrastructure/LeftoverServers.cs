using System.Runtime.CompilerServices;

[assembly: AssemblyFixture(typeof(Lime.Tests.Infrastructure.LeftoverServers))]

namespace Lime.Tests.Infrastructure;

/// <summary>
/// Every <see cref="LimeServer"/> not disposed by its test is disposed when the assembly's tests are done (bounded, so
/// a stuck host cannot hang the run), and named on stderr so the test that forgot it can be found.
/// </summary>
public sealed class LeftoverServers : IAsyncDisposable
{
    private static readonly ConditionalWeakTable<LimeServer, string> Live = [];

    internal static void Track(LimeServer server) => Live.AddOrUpdate(server, Environment.StackTrace);

    internal static void Forget(LimeServer server) => Live.Remove(server);

    public async ValueTask DisposeAsync()
    {
        var leftovers = Live.Select(p => (Server: p.Key, CreatedAt: p.Value)).ToList();
        foreach (var (server, createdAt) in leftovers)
        {
            Console.Error.WriteLine($"LimeServer left undisposed by a test; disposing it. Created at:{Environment.NewLine}{createdAt}");
            try
            {
                await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"Disposing a leftover LimeServer failed: {e.GetType().Name}: {e.Message}");
            }
        }
    }
}
