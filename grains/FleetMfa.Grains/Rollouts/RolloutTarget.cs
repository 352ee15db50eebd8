namespace FleetMfa.Grains.Rollouts;

/// <summary>One device of a rollout shard: its outcome and, while it is in flight, the version awaited and since when.</summary>
[GenerateSerializer, Alias("fleetmfa.RolloutTarget")]
public sealed class RolloutTarget
{
    [Id(0)] public string DeviceId { get; set; } = "";
    [Id(1)] public RolloutOutcome Outcome { get; set; }
    [Id(2)] public string? Code { get; set; }
    [Id(3)] public string? Reason { get; set; }
    [Id(4)] public long Version { get; set; }
    [Id(5)] public DateTimeOffset? StartedAt { get; set; }

    public bool InFlight => Outcome == RolloutOutcome.Pending && StartedAt is not null;

    public void Settle(RolloutOutcome outcome, string? code, string? reason)
    {
        Outcome = outcome;
        Code = code;
        Reason = reason;
    }

    public DeviceOutcome ToOutcome() => new(DeviceId, Outcome, Code, Reason);
}
