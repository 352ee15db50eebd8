namespace FleetMfa.EndToEnd.Infrastructure;

/// <summary>
/// Set-up that a test class does once against the shared silo (xunit makes a class instance per test): a new org costs
/// a round of index-shard activations, so read-only tests share one. Held in a static field of the test class.
/// </summary>
public sealed class OncePerSilo<T>(Func<SiloProcess, Task<T>> setUp)
{
    private readonly Lock _gate = new();
    private (SiloProcess Silo, Task<T> Value)? _current;

    public Task<T> GetAsync(SiloProcess silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        lock (_gate)
        {
            if (_current?.Silo != silo)
            {
                _current = (silo, setUp(silo));
            }

            return _current.Value.Value;
        }
    }
}
