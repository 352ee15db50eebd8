using System.Collections.Concurrent;
using Orleans.Storage;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// The test silos' grain storage in front of the real one (memory or Azurite): a test arms a fault for one grain —
/// its next write (or its Nth) fails at once, or hangs and then times out — and the write never reaches storage, exactly like a
/// storage request that was refused or lost; or the write is stored and its answer lost; or a test holds some grains'
/// writes behind a gate (<see cref="HoldWrites"/>). Shared by every in-process test silo; grain ids keep tests apart.
/// </summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner) : IGrainStorage
{
    /// <summary>Per grain: the fault, and how many of its writes go through before the one that fails.</summary>
    private static readonly ConcurrentDictionary<GrainId, (StorageFault Fault, int WritesBefore)> _armed = new();
    private static readonly ConcurrentDictionary<GrainId, HoldGate> _holds = new();

    /// <summary>How long a <see cref="StorageFault.Timeout"/> write hangs before it fails (short of Orleans' response timeout).</summary>
    public static TimeSpan TimeoutAfter { get; } = TimeSpan.FromSeconds(2);

    /// <summary>What every injected failure's message starts with (<see cref="IsInjected"/>).</summary>
    public const string InjectedMarker = "Injected:";

    /// <summary>The next write of <paramref name="grain"/>'s state fails as <paramref name="fault"/> says; later writes go through.</summary>
    public static void FailNextWrite(GrainId grain, StorageFault fault = StorageFault.Refused) => FailWrite(grain, 1, fault);

    /// <summary>
    /// The <paramref name="nth"/> write of <paramref name="grain"/>'s state from now fails as <paramref name="fault"/> says
    /// (1: the next); the writes before it and after it go through. Replaces a fault armed before for that grain.
    /// </summary>
    public static void FailWrite(GrainId grain, int nth, StorageFault fault = StorageFault.Refused)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nth, 1);
        _armed[grain] = (fault, nth - 1);
    }

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

    /// <summary>Whether <paramref name="failure"/> is (or wraps, as Orleans' storage bridge does) a failure injected here.</summary>
    public static bool IsInjected(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e.Message.Contains(InjectedMarker, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_holds.TryGetValue(grainId, out var gate))
        {
            await gate.PassAsync(grainId);
        }

        if (TakeFault(grainId) is { } fault)
        {
            if (fault == StorageFault.Timeout)
            {
                await Task.Delay(TimeoutAfter);
                throw new TimeoutException($"{InjectedMarker} the write of {grainId} timed out.");
            }

            if (fault == StorageFault.AnswerLost)
            {
                var etag = grainState.ETag;
                await inner.WriteStateAsync(stateName, grainId, grainState);
                grainState.ETag = etag;
                throw new TimeoutException($"{InjectedMarker} the write of {grainId} was stored and its answer lost.");
            }

            throw new InvalidOperationException($"{InjectedMarker} storage refused the write of {grainId}.");
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    /// <summary>The fault for this write of <paramref name="grain"/>'s state, when one is due now; counts down one armed for a later write.</summary>
    private static StorageFault? TakeFault(GrainId grain)
    {
        while (_armed.TryGetValue(grain, out var armed))
        {
            if (armed.WritesBefore == 0)
            {
                if (_armed.TryRemove(KeyValuePair.Create(grain, armed)))
                {
                    return armed.Fault;
                }
            }
            else if (_armed.TryUpdate(grain, (armed.Fault, armed.WritesBefore - 1), armed))
            {
                return null;
            }
        }

        return null;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
