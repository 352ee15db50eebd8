namespace FleetMfa.Grains.Rollouts;

/// <summary>A rollout's devices in one index shard, ordered by id; those before <see cref="Next"/> have been started.</summary>
[GenerateSerializer, Alias("fleetmfa.RolloutShardState")]
public sealed class RolloutShardState
{
    [Id(0)] public RolloutSpec? Spec { get; set; }
    [Id(1)] public int ParticipatingShards { get; set; }
    [Id(2)] public List<RolloutTarget> Targets { get; set; } = [];
    [Id(3)] public int Next { get; set; }
    [Id(4)] public bool Aborted { get; set; }
}
