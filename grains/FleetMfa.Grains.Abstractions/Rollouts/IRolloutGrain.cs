using Orleans.Concurrency;

namespace FleetMfa.Grains;

/// <summary>
/// A bulk MFA change over many devices. Key: <c>{orgId}/{rolloutId}</c>. The grain keeps the spec and the totals; the
/// per-device work and outcomes live in one <see cref="IRolloutShardGrain"/> per device index shard, so no grain
/// ever holds more than a shard's share of the devices. A reminder keeps it going across silo restarts.
/// </summary>
public interface IRolloutGrain : IGrainWithStringKey
{
    /// <summary>Starts the rollout over <paramref name="deviceIds"/>, or over the org's devices matching the spec's filter when <c>null</c>.</summary>
    Task<RolloutSummary> StartAsync(RolloutSpec spec, IReadOnlyList<string>? deviceIds);

    /// <summary>The rollout, or <c>null</c> when it does not exist.</summary>
    // Interleaves so progress reads never queue behind StartAsync or a report turn awaiting the shards; writes nothing and re-checks the final counts after its awaits (a read during StartAsync's write may see the rollout before it is stored).
    [AlwaysInterleave]
    Task<RolloutSummary?> GetAsync();

    // Interleaves so outcome pages never queue behind StartAsync or a report turn awaiting the shards; safe: it writes nothing and only reads the shards' pages.
    [AlwaysInterleave]
    Task<RolloutOutcomePage> GetOutcomesAsync(RolloutOutcomeQuery query);

    /// <summary>A shard's latest counts; <paramref name="finished"/> once nothing of it is pending.</summary>
    Task ReportShardAsync(int shard, RolloutCounts counts, bool finished);
}
