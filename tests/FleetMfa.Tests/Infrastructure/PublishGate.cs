namespace FleetMfa.Tests.Infrastructure;

/// <summary>Holds an org's desired-state publishes (and so the grain calls that await them) until opened, counting how many wait at once.</summary>
public sealed class PublishGate
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;
    private int _maxHeld;

    public int Held => Volatile.Read(ref _held);

    /// <summary>The most publishes that waited at the same time.</summary>
    public int MaxHeld => Volatile.Read(ref _maxHeld);

    public void Open() => _open.TrySetResult();

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
