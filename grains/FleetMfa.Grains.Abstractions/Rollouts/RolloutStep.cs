namespace FleetMfa.Grains;

/// <summary>
/// A device's answer to a rollout: final (<see cref="RolloutOutcome.Succeeded"/>, <see cref="RolloutOutcome.Rejected"/>,
/// <see cref="RolloutOutcome.Failed"/>), or <see cref="RolloutOutcome.Pending"/> until the agent acknowledges
/// <see cref="Version"/>, which the device then tells the rollout.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutStep")]
public sealed record RolloutStep(
    [property: Id(0)] RolloutOutcome Outcome,
    [property: Id(1)] long Version,
    [property: Id(2)] string? Code = null,
    [property: Id(3)] string? Reason = null);
