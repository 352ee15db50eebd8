namespace FleetMfa.Grains;

/// <summary>
/// A device's line in its org's index: all that listings, counts and bulk fan-out need; <see cref="MfaReason"/> is why
/// MFA <c>failed</c> (the agent's reason), so a listing can say it without reading every device. A decommissioned
/// device keeps its row (flagged <see cref="Decommissioned"/>, out of counts and fan-outs) until it is gone for good.
/// <see cref="PolicyVersion"/> is the version of the org policy the device holds: stored with the row, it tells the
/// shard which devices an org-wide change has yet to reach — after a restart too — without activating any of them.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceRow")]
public sealed record DeviceRow(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string Hostname,
    [property: Id(2)] DeviceOs Os,
    [property: Id(3)] bool MfaDesired,
    [property: Id(4)] MfaStatus MfaStatus,
    [property: Id(5)] bool Online,
    [property: Id(6)] DateTimeOffset? LastSeen,
    [property: Id(7)] string? MfaReason = null,
    [property: Id(8)] bool Decommissioned = false,
    [property: Id(9)] long PolicyVersion = 0);
