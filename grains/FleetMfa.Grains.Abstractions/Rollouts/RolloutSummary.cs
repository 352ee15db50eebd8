namespace FleetMfa.Grains;

/// <summary>A rollout's spec, state and counts (GET /api/orgs/{orgId}/rollouts/{rolloutId} without the outcomes).</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutSummary")]
public sealed record RolloutSummary(
    [property: Id(0)] string RolloutId,
    [property: Id(1)] RolloutSpec Spec,
    [property: Id(2)] RolloutStatus Status,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset? FinishedAt,
    [property: Id(5)] RolloutCounts Counts);
