namespace FleetMfa.Grains.Devices;

/// <summary>A rollout waiting for this device's agent to acknowledge <see cref="Version"/>.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutWatch")]
public sealed record RolloutWatch(
    [property: Id(0)] string RolloutId,
    [property: Id(1)] int Shard,
    [property: Id(2)] long Version);
