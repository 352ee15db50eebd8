using Orleans.Concurrency;

namespace FleetMfa.Grains;

/// <summary>
/// The devices of one rollout that live in one device index shard. Key: <c>{orgId}/{rolloutId}/{shard}</c>.
/// Starts its devices with bounded concurrency and rate, waits for their acknowledgements, times them out.
/// </summary>
public interface IRolloutShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Takes and stores the shard's devices (or, when <paramref name="deviceIds"/> is <c>null</c>, the index shard's
    /// devices matching the spec); returns the shard's counts. The devices start on <see cref="ResumeAsync"/>. Calling it
    /// again changes nothing.
    /// </summary>
    Task<RolloutCounts> StartAsync(RolloutSpec spec, int participatingShards, IReadOnlyList<string>? deviceIds);

    /// <summary>Makes sure an unfinished shard is working (after it was started, or after a silo restart); returns its counts.</summary>
    Task<RolloutCounts> ResumeAsync();

    /// <summary>Starts no further device; devices not yet started fail with <c>aborted</c>.</summary>
    Task AbortAsync();

    /// <summary>A device's final outcome for the version it was waiting on.</summary>
    [OneWay]
    Task DeviceSettledAsync(string deviceId, RolloutStep settled);

    // Needed: the rollout awaits it inside a ReportShardAsync turn while this shard may be awaiting that same rollout's ReportShardAsync ([Reentrant] on the class covers it too); safe: counts from memory, no await.
    [AlwaysInterleave]
    Task<RolloutCounts> GetCountsAsync();

    // Interleaves so the rollout's outcome pages never wait on the shard's device calls; safe: a synchronous read of the targets in memory.
    [AlwaysInterleave]
    Task<RolloutOutcomePage> QueryAsync(RolloutOutcome? outcome, string? afterDeviceId, int limit);
}
