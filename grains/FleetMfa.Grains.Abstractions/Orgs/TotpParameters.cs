namespace FleetMfa.Grains;

/// <summary>RFC 6238 parameters of an org. The defaults are what every authenticator app understands.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.TotpParameters")]
public sealed record TotpParameters(
    [property: Id(0)] int Digits,
    [property: Id(1)] int PeriodSeconds,
    [property: Id(2)] string Algorithm,
    [property: Id(3)] int DriftSteps)
{
    public static TotpParameters Default { get; } = new(6, 30, "SHA1", 1);
}
