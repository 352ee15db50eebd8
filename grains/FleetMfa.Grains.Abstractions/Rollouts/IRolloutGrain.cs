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
    [AlwaysInterleave]
    Task<RolloutSummary?> GetAsync();

    [AlwaysInterleave]
    Task<RolloutOutcomePage> GetOutcomesAsync(RolloutOutcomeQuery query);

    /// <summary>A shard's latest counts; <paramref name="finished"/> once nothing of it is pending.</summary>
    Task ReportShardAsync(int shard, RolloutCounts counts, bool finished);
}
