namespace FleetMfa.Grains;

/// <summary>A page of a rollout's per-device outcomes, optionally one outcome only; <see cref="Cursor"/> is the previous page's <c>nextCursor</c>.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutOutcomeQuery")]
public sealed record RolloutOutcomeQuery(
    [property: Id(0)] RolloutOutcome? Outcome,
    [property: Id(1)] string? Cursor,
    [property: Id(2)] int Limit)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1_000;
}
