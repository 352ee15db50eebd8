using FleetMfa.Grains;
using FleetMfa.Grains.Twin;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// A decommissioned device's end on the broker: its account goes (<see cref="IBrokerAccounts.RevokeDeviceAccountAsync"/>:
/// the embedded broker forgets it and drops its session; Mosquitto over TLS gets its certificates in the CRL and the
/// revoked file and reloads, which kicks it; a password Mosquitto loses its line and reloads, which disconnects it) and its retained messages are cleared by the bridge, the only writer of <c>desired</c> topics.
/// </summary>
public sealed class DeviceAccessRevoker(IBrokerAccounts accounts, MqttBridge bridge) : IDeviceAccessRevoker
{
    public Task RevokeDeviceAsync(string orgId, string deviceId, IReadOnlyList<DeviceCertificate> certificates, CancellationToken cancellationToken) =>
        accounts.RevokeDeviceAccountAsync(new DeviceIdentity(orgId, deviceId), certificates, cancellationToken);

    public Task ClearRetainedAsync(string orgId, string deviceId, CancellationToken cancellationToken) =>
        bridge.ClearRetainedAsync(orgId, deviceId, cancellationToken);
}
