namespace FleetMfa.Agent.Daemon;

/// <summary>
/// A daemon that sleeps for hours between bursts of work (an apply, a run of <c>verify</c> requests) would otherwise
/// keep its GC heap at the burst's high-water mark: 300 verify requests left the heap's pages resident at 14 MiB on
/// top of the 4 MiB the daemon needs. Once at least <see cref="Threshold"/> bytes were allocated since the last trim,
/// <see cref="TrimIfAllocated"/> runs an aggressive, compacting collection, which returns the free memory to the OS.
/// The daemon calls it on its 5-second tick, so a trim costs a few milliseconds at most every 5 s, and only after work.
/// </summary>
public sealed class IdleMemoryTrim(Func<long> allocatedBytes, Action collect)
{
    public const long Threshold = 256 * 1024;

    // Zero, not the count at construction: what start-up allocated (connect, first report) is trimmed on the first tick.
    private long _atLastTrim;

    /// <summary>The trim of this process: <see cref="GCCollectionMode.Aggressive"/> decommits what the collection freed.</summary>
    public static IdleMemoryTrim ForThisProcess() => new(
        () => GC.GetTotalAllocatedBytes(precise: false),
        () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true));

    /// <summary>Collects when enough was allocated since the last trim; <c>true</c> when it did.</summary>
    public bool TrimIfAllocated()
    {
        if (allocatedBytes() - _atLastTrim < Threshold)
        {
            return false;
        }

        collect();
        _atLastTrim = allocatedBytes();
        return true;
    }
}
