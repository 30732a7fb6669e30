namespace Lime.Server.Attachments;

/// <summary>
/// Serialises, per blob key on this node, "store the blob and insert its row" (an upload) against "find no row uses the
/// blob and delete it" (the sweeper), so a sweep never deletes a blob an upload of the same bytes is about to name.
/// Striped: a few keys share a lock, which only costs a rare wait.
/// </summary>
public sealed class BlobLocks
{
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public async Task<IDisposable> AcquireAsync(string key, CancellationToken ct)
    {
        var stripe = _stripes[Convert.ToInt32(key[..2], 16) % _stripes.Length];
        await stripe.WaitAsync(ct);
        return new Release(stripe);
    }

    private sealed class Release(SemaphoreSlim stripe) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                stripe.Release();
            }
        }
    }
}
