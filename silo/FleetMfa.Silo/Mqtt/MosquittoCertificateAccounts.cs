using FleetMfa.Grains;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// Mosquitto over TLS holds no device accounts: a device logs in with its certificate, whose CN is its username, and the
/// ACL's <c>%u</c> patterns do the rest. Revoking one lists its certificates in the fleet's revocation list, which the
/// <see cref="ICertificateRevocationGrain"/> stores and hands to the broker (<see cref="MosquittoRevocationFiles"/>); the
/// reload kicks the device.
/// </summary>
public sealed class MosquittoCertificateAccounts(IGrainFactory grains) : IBrokerAccounts
{
    public Task CreateDeviceAccountAsync(DeviceIdentity device, string password, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("Mosquitto over TLS takes device certificates only: a device account with a password cannot be made.");

    public Task RevokeDeviceAccountAsync(DeviceIdentity device, IReadOnlyList<DeviceCertificate> certificates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        return grains.GetCertificateRevocation().RevokeAsync(device.Username, certificates);
    }
}
