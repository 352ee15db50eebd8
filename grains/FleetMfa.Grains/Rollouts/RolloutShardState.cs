namespace FleetMfa.Grains.Rollouts;

/// <summary>
/// A rollout's devices in one index shard, ordered by id; those before <see cref="Next"/> have been started. The counts
/// follow the targets' outcomes (<see cref="RolloutShardPlan"/> keeps them in step); the outbox holds the effects of
/// stored decisions that have not been carried out yet.
/// </summary>
[GenerateSerializer, Alias("fleetmfa.RolloutShardState")]
public sealed class RolloutShardState
{
    [Id(0)] public RolloutSpec? Spec { get; set; }
    [Id(1)] public int ParticipatingShards { get; set; }
    [Id(2)] public List<RolloutTarget> Targets { get; set; } = [];
    [Id(3)] public int Next { get; set; }
    [Id(4)] public bool Aborted { get; set; }

    /// <summary>The start rate: the shard's share of the rollout's <see cref="RolloutSpec.RatePerMinute"/>.</summary>
    [Id(5)] public RolloutPacer? Pacer { get; set; }

    /// <summary>Devices started and still waiting for their outcome.</summary>
    [Id(6)] public int InFlight { get; set; }

    [Id(7)] public int Succeeded { get; set; }
    [Id(8)] public int Rejected { get; set; }
    [Id(9)] public int Failed { get; set; }

    /// <summary>How many devices had finished when the rollout was last sent (or is about to be sent) the counts.</summary>
    [Id(10)] public int ReportedFinished { get; set; }

    /// <summary>What the shard still has to do for decisions it stored (<see cref="RolloutShardEffect"/>).</summary>
    [Id(11)] public List<RolloutShardEffect> Outbox { get; set; } = [];
}
