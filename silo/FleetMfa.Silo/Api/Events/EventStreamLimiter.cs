namespace FleetMfa.Silo.Api.Events;

/// <summary>
/// Bounds the open event streams per API key on this silo, so one key (or a leaked one) cannot tie up the grain
/// reads that every stream does each second.
/// </summary>
public sealed class EventStreamLimiter
{
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>A lease to dispose when the stream ends, or <c>null</c> when <paramref name="key"/> holds <paramref name="max"/> already.</summary>
    public IDisposable? TryAcquire(string key, int max)
    {
        lock (_gate)
        {
            var count = _open.GetValueOrDefault(key);
            if (count >= max)
            {
                return null;
            }

            _open[key] = count + 1;
        }

        return new Lease(this, key);
    }

    /// <summary>How many streams <paramref name="key"/> holds now.</summary>
    public int OpenStreams(string key)
    {
        lock (_gate)
        {
            return _open.GetValueOrDefault(key);
        }
    }

    private void Release(string key)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(key, out var count) && count > 1)
            {
                _open[key] = count - 1;
            }
            else
            {
                _open.Remove(key);
            }
        }
    }

    private sealed class Lease(EventStreamLimiter owner, string key) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(key);
            }
        }
    }
}
