namespace FleetMfa.Grains;

/// <summary>Reads an org's device index across all shards in parallel. Stateless; key: <c>{orgId}</c>.</summary>
public interface IDeviceDirectoryGrain : IGrainWithStringKey
{
    Task<DevicePage> ListAsync(DeviceQuery query);

    Task<MfaStatusCounts> CountAsync();
}
