using FleetMfa.Grains;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// The embedded broker keeps no account list: it authenticates each connect against the device grain, which already
/// holds the password hash and certificate serials from enrollment, so there is nothing more to create. Revoking one forgets the device in
/// <see cref="KnownDevices"/> (its grain has dropped the hash already) and ends its connection and session.
/// </summary>
public sealed class EmbeddedBrokerAccounts(KnownDevices devices, EmbeddedBroker broker) : IBrokerAccounts
{
    public Task CreateDeviceAccountAsync(DeviceIdentity device, string password, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RevokeDeviceAccountAsync(DeviceIdentity device, IReadOnlyList<DeviceCertificate> certificates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        devices.Forget(device.OrgId, device.DeviceId);
        return broker.DisconnectAsync(device.Username);
    }
}
