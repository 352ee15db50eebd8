using System.Collections.Concurrent;
using FleetMfa.Grains;
using FleetMfa.Grains.Twin;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>Unit-test stand-in for the broker side of a decommission: counts each device's revocations and retained-message clears.</summary>
public sealed class RecordingDeviceAccessRevoker : IDeviceAccessRevoker
{
    private readonly ConcurrentDictionary<(string OrgId, string DeviceId), int> _revoked = new();
    private readonly ConcurrentDictionary<(string OrgId, string DeviceId), int> _cleared = new();

    public Task RevokeDeviceAsync(string orgId, string deviceId, IReadOnlyList<DeviceCertificate> certificates, CancellationToken cancellationToken)
    {
        _revoked.AddOrUpdate((orgId, deviceId), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public Task ClearRetainedAsync(string orgId, string deviceId, CancellationToken cancellationToken)
    {
        _cleared.AddOrUpdate((orgId, deviceId), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public int Revocations(string orgId, string deviceId) => _revoked.GetValueOrDefault((orgId, deviceId));

    public int Clears(string orgId, string deviceId) => _cleared.GetValueOrDefault((orgId, deviceId));
}
