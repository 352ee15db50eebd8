namespace FleetMfa.Grains;

/// <summary>What a rollout asks of one device, and where the device reports back (the rollout's shard).</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutTicket")]
public sealed record RolloutTicket(
    [property: Id(0)] string RolloutId,
    [property: Id(1)] int Shard,
    [property: Id(2)] RolloutAction Action,
    [property: Id(3)] bool Force);
