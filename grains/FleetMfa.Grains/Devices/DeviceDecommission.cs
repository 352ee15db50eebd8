namespace FleetMfa.Grains.Devices;

/// <summary>
/// A device's decommission as stored: when it was decided (<see cref="At"/>), the desired version that tells the agent
/// to wipe (<see cref="Version"/>), whether the agent acknowledged the wipe, and when its MQTT credentials were revoked
/// (null while the grace period runs). The device is gone <see cref="DecommissionOptions.Retention"/> after <see cref="At"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceDecommission")]
public sealed record DeviceDecommission(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] long Version,
    [property: Id(2)] bool WipeAcknowledged,
    [property: Id(3)] DateTimeOffset? RevokedAt);
