using FleetMfa.Grains;

namespace FleetMfa.Silo.Mqtt;

/// <summary>Gives a newly enrolled device its account on the broker (credentials and, through them, its topic ACL), and takes a decommissioned device's away.</summary>
public interface IBrokerAccounts
{
    Task CreateDeviceAccountAsync(DeviceIdentity device, string password, CancellationToken cancellationToken);

    /// <summary>
    /// The device's credentials — its password, and <paramref name="certificates"/> (the client certificates it held) —
    /// stop being valid for good and its connection, if any, is closed; idempotent.
    /// </summary>
    Task RevokeDeviceAccountAsync(DeviceIdentity device, IReadOnlyList<DeviceCertificate> certificates, CancellationToken cancellationToken);
}
