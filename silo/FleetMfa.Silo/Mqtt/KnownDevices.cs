using System.Collections.Concurrent;
using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using Orleans.Storage;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// Which devices have an enrolled agent, asked by the embedded broker before a CONNECT's password goes to the device's
/// grain, so that a user name naming a device that was never enrolled is refused without activating anything. A device
/// found enrolled is remembered for the silo's life (its grain still checks every password); a miss reads the device's
/// stored state once — no activation — at most <see cref="MaxConcurrentLookups"/> at a time, and is not remembered, so
/// a device enrolled a moment later connects at once. A decommissioned device is forgotten when it is revoked
/// (<see cref="Forget"/>), and storage shows it revoked from then on.
/// </summary>
public sealed class KnownDevices(
    [FromKeyedServices(StorageNames.Fleet)] IGrainStorage storage,
    IGrainFactory grains) : IDisposable
{
    public const int MaxConcurrentLookups = 8;

    private readonly ConcurrentDictionary<string, bool> _enrolled = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lookups = new(MaxConcurrentLookups);

    public async ValueTask<bool> HasAgentAsync(string orgId, string deviceId, CancellationToken cancellationToken)
    {
        var key = $"{orgId}/{deviceId}";
        if (_enrolled.ContainsKey(key))
        {
            return true;
        }

        await _lookups.WaitAsync(cancellationToken);
        try
        {
            if (!await DeviceRecords.HasAgentAsync(storage, grains.GetDevice(orgId, deviceId).GetGrainId()))
            {
                return false;
            }
        }
        finally
        {
            _lookups.Release();
        }

        _enrolled[key] = true;
        return true;
    }

    /// <summary>A decommissioned device: its next connect reads storage again (and finds it revoked).</summary>
    public void Forget(string orgId, string deviceId) => _enrolled.TryRemove($"{orgId}/{deviceId}", out _);

    public void Dispose() => _lookups.Dispose();
}
