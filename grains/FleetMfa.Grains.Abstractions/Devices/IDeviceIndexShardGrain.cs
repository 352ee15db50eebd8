namespace FleetMfa.Grains;

/// <summary>
/// One slice of an org's device index (key <c>{orgId}/{shard}</c>, <see cref="GrainKeys.DeviceIndexShards"/> per org).
/// Listings, counts and fan-out read rows here instead of activating device grains. No call of a shard waits on a call
/// back into it: the shard hands the org policy down to its devices one-way, and awaits only its storage; so none of
/// these calls needs to interleave to avoid a deadlock.
/// </summary>
public interface IDeviceIndexShardGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds or replaces a device's row. The row's <see cref="DeviceRow.PolicyVersion"/> is the org policy the device
    /// holds: it acknowledges a policy this shard handed down, and when it is older than the shard's (the device raced
    /// an org-wide change) the shard hands the policy to the device again. Policy only ever goes down, rows only up.
    /// </summary>
    Task UpsertAsync(DeviceRow row);

    /// <summary>Removes a device's row for good (a decommissioned device at the end of its retention); idempotent.</summary>
    Task RemoveAsync(string deviceId);

    Task<IReadOnlyList<DeviceRow>> QueryAsync(DeviceQuery query);

    Task<MfaStatusCounts> GetCountsAsync();

    /// <summary>
    /// Stores the org policy and returns: the shard hands it to every device of this shard with MFA on in the
    /// background, a few at a time, and tells the org (<see cref="IOrgGrain.PolicyFannedOutAsync"/>) once each has
    /// acknowledged it. An older or equal version changes nothing (a repeat makes sure the fan-out is running).
    /// </summary>
    Task ApplyOrgPolicyAsync(OrgPolicy policy);
}
