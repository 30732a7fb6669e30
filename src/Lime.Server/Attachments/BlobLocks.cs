namespace Lime.Server.Attachments;

/// <summary>
/// Serialises, per blob key on this node, "store the blob and insert its row" (an upload) against "find no row uses the
/// blob and delete it" (the sweeper), so a sweep never deletes a blob an upload of the same bytes is about to name.
/// Striped: a few keys share a lock, which only costs a rare wait.
/// </summary>
public sealed class BlobLocks
{
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>Holds the locks of all the keys (each stripe once, in stripe order, so two holders cannot deadlock).</summary>
    public async Task<IDisposable> AcquireAsync(string key, string? other, CancellationToken ct)
    {
        int[] stripes = [.. new[] { key, other }.OfType<string>().Select(k => Convert.ToInt32(k[..2], 16) % _stripes.Length).Distinct().Order()];
        var held = new List<SemaphoreSlim>(stripes.Length);
        try
        {
            foreach (int s in stripes)
            {
                await _stripes[s].WaitAsync(ct);
                held.Add(_stripes[s]);
            }
        }
        catch
        {
            held.ForEach(h => h.Release());
            throw;
        }

        return new Release(held);
    }

    public Task<IDisposable> AcquireAsync(string key, CancellationToken ct) => AcquireAsync(key, null, ct);

    private sealed class Release(List<SemaphoreSlim> held) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                held.ForEach(h => h.Release());
            }
        }
    }
}
