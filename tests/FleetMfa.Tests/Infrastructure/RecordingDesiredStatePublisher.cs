using System.Collections.Concurrent;
using FleetMfa.Grains.Twin;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// Unit-test stand-in for the MQTT bridge: keeps the last desired-state document per device, counts the publishes, and
/// can hold an org's publishes behind a <see cref="HoldGate"/>.
/// </summary>
public sealed class RecordingDesiredStatePublisher : IDesiredStatePublisher
{
    private readonly ConcurrentDictionary<(string OrgId, string DeviceId), DesiredState> _last = new();
    private readonly ConcurrentDictionary<(string OrgId, string DeviceId), int> _count = new();
    private readonly ConcurrentDictionary<string, HoldGate> _gates = new(StringComparer.Ordinal);

    public Task PublishDesiredAsync(DesiredState desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        _last[(desired.OrgId, desired.DeviceId)] = desired;
        _count.AddOrUpdate((desired.OrgId, desired.DeviceId), 1, (_, n) => n + 1);
        return _gates.TryGetValue(desired.OrgId, out var gate) ? gate.PassAsync() : Task.CompletedTask;
    }

    /// <summary>From now on, the org's publishes wait until the returned gate opens.</summary>
    public HoldGate Hold(string orgId) => _gates[orgId] = new HoldGate();

    public DesiredState? Last(string orgId, string deviceId) => _last.GetValueOrDefault((orgId, deviceId));

    /// <summary>How many desired states (re-publishes included) went out to the device.</summary>
    public int Count(string orgId, string deviceId) => _count.GetValueOrDefault((orgId, deviceId));
}
