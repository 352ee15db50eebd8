namespace FleetMfa.Grains;

/// <summary>What a rollout does to each of its devices.</summary>
public enum RolloutAction
{
    EnableMfa,
    DisableMfa,
}
