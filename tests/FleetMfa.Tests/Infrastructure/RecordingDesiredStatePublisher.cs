using System.Collections.Concurrent;
using FleetMfa.Grains.Twin;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>Unit-test stand-in for the MQTT bridge: keeps the last desired-state payload per device.</summary>
public sealed class RecordingDesiredStatePublisher : IDesiredStatePublisher
{
    private readonly ConcurrentDictionary<(string OrgId, string DeviceId), byte[]> _last = new();

    public Task PublishDesiredAsync(string orgId, string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        _last[(orgId, deviceId)] = payload.ToArray();
        return Task.CompletedTask;
    }

    public byte[]? Last(string orgId, string deviceId) => _last.GetValueOrDefault((orgId, deviceId));
}
