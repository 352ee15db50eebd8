namespace FleetMfa.Grains;

[GenerateSerializer, Immutable, Alias("fleetmfa.DevicePage")]
public sealed record DevicePage(
    [property: Id(0)] IReadOnlyList<DeviceRow> Items,
    [property: Id(1)] string? NextCursor);
