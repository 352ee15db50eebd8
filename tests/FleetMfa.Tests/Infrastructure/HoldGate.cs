namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// Holds what passes it — an org's desired-state publishes, some grains' storage writes — and so the grain calls that
/// await them, until opened; counting how many wait at once, and which grains' writes wait.
/// </summary>
public sealed class HoldGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<GrainId, int> _heldGrains = new();
    private int _held;
    private int _maxHeld;

    public int Held => Volatile.Read(ref _held);

    /// <summary>The most publishes that waited at the same time.</summary>
    public int MaxHeld => Volatile.Read(ref _maxHeld);

    /// <summary>The grains whose writes wait now (<see cref="PassAsync(GrainId)"/>).</summary>
    public IReadOnlyCollection<GrainId> HeldGrains => [.. _heldGrains.Where(g => g.Value > 0).Select(g => g.Key)];

    public void Open() => _open.TrySetResult();

    /// <summary>Passes the gate for a write of <paramref name="grain"/>'s state.</summary>
    internal async Task PassAsync(GrainId grain)
    {
        _heldGrains.AddOrUpdate(grain, 1, (_, n) => n + 1);
        try
        {
            await PassAsync();
        }
        finally
        {
            _heldGrains.AddOrUpdate(grain, 0, (_, n) => n - 1);
        }
    }

    internal async Task PassAsync()
    {
        var held = Interlocked.Increment(ref _held);
        int max;
        while ((max = Volatile.Read(ref _maxHeld)) < held && Interlocked.CompareExchange(ref _maxHeld, held, max) != max)
        {
        }

        try
        {
            await _open.Task;
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }
    }
}
