namespace FleetMfa.Grains;

/// <summary>How many of a rollout's devices have each outcome.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutCounts")]
public sealed record RolloutCounts(
    [property: Id(0)] int Total,
    [property: Id(1)] int Succeeded,
    [property: Id(2)] int Pending,
    [property: Id(3)] int Rejected,
    [property: Id(4)] int Failed)
{
    public static RolloutCounts Empty { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Devices with a final outcome.</summary>
    public int Finished => Succeeded + Rejected + Failed;

    public RolloutCounts Add(RolloutCounts other) => new(
        Total + other.Total, Succeeded + other.Succeeded, Pending + other.Pending, Rejected + other.Rejected, Failed + other.Failed);
}
