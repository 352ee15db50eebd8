namespace FleetMfa.Grains;

[GenerateSerializer, Immutable, Alias("fleetmfa.OrgSettings")]
public sealed record OrgSettings(
    [property: Id(0)] string OrgId,
    [property: Id(1)] string Name,
    [property: Id(2)] bool TotpEnabled,
    [property: Id(3)] TotpParameters Totp,
    [property: Id(4)] TimeSpan EnrollmentPeriod,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] PolicyFanOut PolicyFanOut);
