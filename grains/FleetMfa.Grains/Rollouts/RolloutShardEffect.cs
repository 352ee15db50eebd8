namespace FleetMfa.Grains.Rollouts;

/// <summary>
/// One thing a rollout shard must do because of a decision it stored: kept in the shard's outbox, in the same write as
/// the decision, until its result is stored in turn, so it is neither lost in a crash nor done for a decision that was
/// never stored. Both kinds are idempotent: a device asked twice answers where it stands, a rollout takes the latest counts.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.RolloutShardEffect")]
public sealed record RolloutShardEffect(
    [property: Id(0)] RolloutShardEffectKind Kind,
    [property: Id(1)] string? DeviceId = null,
    [property: Id(2)] long Version = 0,
    [property: Id(3)] bool Final = false,
    [property: Id(4)] RolloutCounts? Counts = null,
    [property: Id(5)] bool Finished = false)
{
    /// <summary>
    /// Ask <paramref name="deviceId"/> to apply the change (<paramref name="version"/> 0) or where it stands against
    /// <paramref name="version"/>; <paramref name="final"/>: the ack timeout has passed, and "pending" now fails the device.
    /// </summary>
    public static RolloutShardEffect Ask(string deviceId, long version, bool final = false) =>
        new(RolloutShardEffectKind.AskDevice, deviceId, version, final);

    /// <summary>Tell the rollout <paramref name="counts"/>; <paramref name="finished"/> once no device of the shard is pending.</summary>
    public static RolloutShardEffect Report(RolloutCounts counts, bool finished) =>
        new(RolloutShardEffectKind.ReportProgress, Counts: counts, Finished: finished);
}
