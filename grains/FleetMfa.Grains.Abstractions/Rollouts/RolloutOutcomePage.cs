namespace FleetMfa.Grains;

[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutOutcomePage")]
public sealed record RolloutOutcomePage(
    [property: Id(0)] IReadOnlyList<DeviceOutcome> Items,
    [property: Id(1)] string? NextCursor);
