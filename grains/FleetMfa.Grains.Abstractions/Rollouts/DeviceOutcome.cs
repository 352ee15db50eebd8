namespace FleetMfa.Grains;

/// <summary>One device's line in a rollout; <see cref="Code"/> is a rule's code, <c>timeout</c>, <c>agent-error</c>, <c>no-agent</c>, <c>not-found</c> or <c>aborted</c>.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceOutcome")]
public sealed record DeviceOutcome(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] RolloutOutcome Outcome,
    [property: Id(2)] string? Code,
    [property: Id(3)] string? Reason);
