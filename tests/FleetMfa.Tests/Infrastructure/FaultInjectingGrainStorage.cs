using System.Collections.Concurrent;
using Orleans.Storage;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// The test silos' grain storage in front of the real one (memory or Azurite): a test arms a fault for one grain —
/// its next write fails at once, or hangs and then times out — and the write never reaches storage, exactly like a
/// storage request that was refused or lost; or the write is stored and its answer lost; or a test holds some grains'
/// writes behind a gate (<see cref="HoldWrites"/>). Shared by every in-process test silo; grain ids keep tests apart.
/// </summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    private static readonly ConcurrentDictionary<GrainId, StorageFault> _armed = new();
    private static readonly ConcurrentDictionary<GrainId, HoldGate> _holds = new();

    /// <summary>How long a <see cref="StorageFault.Timeout"/> write hangs before it fails (short of Orleans' response timeout).</summary>
    public static TimeSpan TimeoutAfter { get; } = TimeSpan.FromSeconds(2);

    /// <summary>The next write of <paramref name="grain"/>'s state fails as <paramref name="fault"/> says; later writes go through.</summary>
    public static void FailNextWrite(GrainId grain, StorageFault fault = StorageFault.Refused) => _armed[grain] = fault;

    /// <summary>
    /// From now on, writes of these grains' state wait until the returned gate opens (and then go through); a grain's
    /// call that writes waits with it, as when storage is slow.
    /// </summary>
    public static HoldGate HoldWrites(IEnumerable<GrainId> grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var gate = new HoldGate();
        foreach (var grain in grains)
        {
            _holds[grain] = gate;
        }

        return gate;
    }

    /// <summary>Writes of these grains' state no longer pass a gate.</summary>
    public static void StopHolding(IEnumerable<GrainId> grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        foreach (var grain in grains)
        {
            _holds.TryRemove(grain, out _);
        }
    }

    /// <summary>Whether a fault armed for <paramref name="grain"/> is still waiting for its write.</summary>
    public static bool IsArmed(GrainId grain) => _armed.ContainsKey(grain);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_holds.TryGetValue(grainId, out var gate))
        {
            await gate.PassAsync(grainId);
        }

        if (_armed.TryRemove(grainId, out var fault))
        {
            if (fault == StorageFault.Timeout)
            {
                await Task.Delay(TimeoutAfter);
                throw new TimeoutException($"Injected: the write of {grainId} timed out.");
            }

            if (fault == StorageFault.AnswerLost)
            {
                var etag = grainState.ETag;
                await inner.WriteStateAsync(stateName, grainId, grainState);
                grainState.ETag = etag;
                throw new TimeoutException($"Injected: the write of {grainId} was stored and its answer lost.");
            }

            throw new InvalidOperationException($"Injected: storage refused the write of {grainId}.");
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
