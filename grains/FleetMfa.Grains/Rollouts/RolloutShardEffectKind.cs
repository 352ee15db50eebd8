namespace FleetMfa.Grains.Rollouts;

/// <summary>What a rollout shard does once a decision is stored (<see cref="RolloutShardEffect"/>).</summary>
public enum RolloutShardEffectKind
{
    /// <summary>Ask a device for its step: apply the rollout's change (version 0), or say where it stands against the version it answered.</summary>
    AskDevice,

    /// <summary>Tell the rollout the shard's counts.</summary>
    ReportProgress,
}
