namespace FleetMfa.Grains;

[GenerateSerializer, Immutable, Alias("fleetmfa.MfaStatusCounts")]
public sealed record MfaStatusCounts(
    [property: Id(0)] int Total,
    [property: Id(1)] int Disabled,
    [property: Id(2)] int Pending,
    [property: Id(3)] int Enabled,
    [property: Id(4)] int Failed)
{
    public static MfaStatusCounts Empty { get; } = new(0, 0, 0, 0, 0);

    public MfaStatusCounts Add(MfaStatusCounts other) => new(
        Total + other.Total, Disabled + other.Disabled, Pending + other.Pending, Enabled + other.Enabled, Failed + other.Failed);
}
