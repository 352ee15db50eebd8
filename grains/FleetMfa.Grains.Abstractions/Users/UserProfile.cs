namespace FleetMfa.Grains;

[GenerateSerializer, Immutable, Alias("fleetmfa.UserProfile")]
public sealed record UserProfile(
    [property: Id(0)] string Username,
    [property: Id(1)] string? Email);
