namespace FleetMfa.Grains;

/// <summary>One device's result in a rollout.</summary>
public enum RolloutOutcome
{
    /// <summary>Not started yet, or waiting for the agent to acknowledge the change.</summary>
    Pending,

    /// <summary>The agent acknowledged the desired version carrying the change (or the device already was in the wanted state).</summary>
    Succeeded,

    /// <summary>An OS rule refused the change; nothing was changed on the device.</summary>
    Rejected,

    /// <summary>The agent reported an error, did not acknowledge in time, has no agent, or the rollout was aborted before it.</summary>
    Failed,
}
