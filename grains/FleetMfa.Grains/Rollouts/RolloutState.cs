namespace FleetMfa.Grains.Rollouts;

/// <summary>A rollout's spec and state; the devices and their outcomes live in the shards (bit i of <see cref="Shards"/> = shard i takes part).</summary>
[GenerateSerializer, Alias("fleetmfa.RolloutState")]
public sealed class RolloutState
{
    [Id(0)] public RolloutSpec? Spec { get; set; }
    [Id(1)] public RolloutStatus Status { get; set; }
    [Id(2)] public DateTimeOffset CreatedAt { get; set; }
    [Id(3)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(4)] public ulong Shards { get; set; }
    [Id(5)] public ulong FinishedShards { get; set; }

    /// <summary>The counts once every shard has finished; until then they are gathered from the shards.</summary>
    [Id(6)] public RolloutCounts? FinalCounts { get; set; }

    public bool Finished => FinalCounts is not null;
}
