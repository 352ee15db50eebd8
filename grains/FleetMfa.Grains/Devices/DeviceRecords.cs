using FleetMfa.Grains.Internal;
using Orleans.Storage;

namespace FleetMfa.Grains.Devices;

/// <summary>Reads about a device from storage without activating its grain.</summary>
public static class DeviceRecords
{
    /// <summary>
    /// Whether the device grain <paramref name="device"/> has stored an enrolled agent whose credentials were not revoked
    /// (one storage read; no activation).
    /// </summary>
    public static async Task<bool> HasAgentAsync(IGrainStorage storage, GrainId device) =>
        await StoredState.ReadAsync<DeviceState>(storage, DeviceGrain.StateName, device) is { HasAgent: true, Revoked: false };
}
