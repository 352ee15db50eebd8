using Orleans.Concurrency;

namespace FleetMfa.Grains;

/// <summary>
/// One slice of an org's device index (key <c>{orgId}/{shard}</c>, <see cref="GrainKeys.DeviceIndexShards"/> per org).
/// Listings, counts and fan-out read rows here instead of activating device grains.
/// </summary>
public interface IDeviceIndexShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds or replaces a device's row. Returns the shard's org policy when it is newer than
    /// <paramref name="knownPolicyVersion"/>, so a device that raced an org-wide change still gets it.
    /// </summary>
    [AlwaysInterleave]
    Task<OrgPolicy?> UpsertAsync(DeviceRow row, long knownPolicyVersion);

    [AlwaysInterleave]
    Task<IReadOnlyList<DeviceRow>> QueryAsync(DeviceQuery query);

    [AlwaysInterleave]
    Task<MfaStatusCounts> GetCountsAsync();

    /// <summary>Records the org policy and hands it to every device of this shard that has MFA on.</summary>
    Task ApplyOrgPolicyAsync(OrgPolicy policy);
}
