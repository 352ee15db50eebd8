namespace FleetMfa.Grains.Devices;

/// <summary>
/// Where the device index keeps its rows: one record per device, grouped by org and shard, so that a row change costs
/// one small write however large the org is. The host registers one (Azure Table storage in every real deployment).
/// </summary>
public interface IDeviceIndexStore
{
    /// <summary>Every row of one shard of an org's index, in no particular order.</summary>
    Task<IReadOnlyList<DeviceRow>> ReadAsync(string orgId, int shard, CancellationToken cancellationToken = default);

    /// <summary>Stores these rows of one shard, each replacing the row of its device. Row ids are distinct.</summary>
    Task WriteAsync(string orgId, int shard, IReadOnlyCollection<DeviceRow> rows, CancellationToken cancellationToken = default);

    /// <summary>Removes a device's row from one shard; a row that is not there is no error.</summary>
    Task DeleteAsync(string orgId, int shard, string deviceId, CancellationToken cancellationToken = default);
}
