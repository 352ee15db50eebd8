namespace FleetMfa.Grains.Twin;

/// <summary>
/// Ends a decommissioned device's access to the broker. The host provides it (the embedded broker, or Mosquitto's
/// revocation list, and the MQTT bridge); both operations are idempotent, so the device grain's outbox may run them again.
/// </summary>
public interface IDeviceAccessRevoker
{
    /// <summary>
    /// Makes the device's MQTT credentials invalid for good — its password, and <paramref name="certificates"/> (the
    /// client certificates it held) on a broker that checks certificates itself — and ends its broker session.
    /// </summary>
    Task RevokeDeviceAsync(string orgId, string deviceId, IReadOnlyList<DeviceCertificate> certificates, CancellationToken cancellationToken);

    /// <summary>Clears the device's retained <c>desired</c> (and <c>presence</c>) message: an empty retained publish.</summary>
    Task ClearRetainedAsync(string orgId, string deviceId, CancellationToken cancellationToken);
}
