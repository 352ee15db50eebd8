using System.Collections.Concurrent;
using Orleans.Storage;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// The in-memory test silos' grain storage: Orleans' memory storage, counting the writes of each grain, so that a test
/// can hold a grain to the number of storage round trips it costs (every one is a storage request in production).
/// Shared by every in-process test silo; grain ids (fresh org ids) keep tests apart.
/// </summary>
public sealed class WriteCountingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private static readonly ConcurrentDictionary<GrainId, int> _writes = new();

    /// <summary>How many writes of <paramref name="grain"/>'s state have completed.</summary>
    public static int WritesOf(GrainId grain) => _writes.GetValueOrDefault(grain);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await inner.WriteStateAsync(stateName, grainId, grainState);
        _writes.AddOrUpdate(grainId, 1, static (_, n) => n + 1);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
