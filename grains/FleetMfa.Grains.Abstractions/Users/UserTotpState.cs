namespace FleetMfa.Grains;

/// <summary>What a device needs to know of a user's enrollment; <see cref="SecretVersion"/> grows with every new secret.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.UserTotpState")]
public sealed record UserTotpState(
    [property: Id(0)] string Username,
    [property: Id(1)] TotpStatus Status,
    [property: Id(2)] int SecretVersion);
