namespace FleetMfa.Grains;

/// <summary>
/// A device's decommission (<c>DELETE …/devices/{deviceId}</c>): when it was decided and whether the agent acknowledged
/// its wipe. Once the wipe is acknowledged, or the grace period ended without it, the device's MQTT credentials are
/// revoked for good; the record stays for the retention period (30 days by default), then the device is gone.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DecommissionInfo")]
public sealed record DecommissionInfo(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] bool WipeAcknowledged);
