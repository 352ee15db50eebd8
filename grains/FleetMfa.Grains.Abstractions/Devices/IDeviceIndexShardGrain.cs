using Orleans.Concurrency;

namespace FleetMfa.Grains;

/// <summary>
/// One slice of an org's device index (key <c>{orgId}/{shard}</c>, <see cref="GrainKeys.DeviceIndexShards"/> per org).
/// Listings, counts and fan-out read rows here instead of activating device grains.
/// </summary>
public interface IDeviceIndexShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds or replaces a device's row. When the shard's org policy is newer than <paramref name="knownPolicyVersion"/>
    /// (the device raced an org-wide change), the shard hands it to the device afterwards, in a turn of its own: policy
    /// only ever goes down, rows only up, and no call waits on a call back to its caller.
    /// </summary>
    [AlwaysInterleave]
    Task UpsertAsync(DeviceRow row, long knownPolicyVersion);

    /// <summary>Removes a device's row for good (a decommissioned device at the end of its retention); idempotent.</summary>
    [AlwaysInterleave]
    Task RemoveAsync(string deviceId);

    [AlwaysInterleave]
    Task<IReadOnlyList<DeviceRow>> QueryAsync(DeviceQuery query);

    [AlwaysInterleave]
    Task<MfaStatusCounts> GetCountsAsync();

    /// <summary>Records the org policy and hands it to every device of this shard that has MFA on.</summary>
    Task ApplyOrgPolicyAsync(OrgPolicy policy);
}
