namespace FleetMfa.Grains;

/// <summary>
/// The part of an org's settings that every device's desired state depends on. <see cref="Version"/> increases on
/// each change so that devices and index shards can drop a stale copy.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.OrgPolicy")]
public sealed record OrgPolicy(
    [property: Id(0)] bool TotpEnabled,
    [property: Id(1)] TotpParameters Totp,
    [property: Id(2)] long Version);
