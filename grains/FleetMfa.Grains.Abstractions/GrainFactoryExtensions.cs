namespace FleetMfa.Grains;

/// <summary>Typed accessors so that callers never assemble grain keys by hand.</summary>
public static class GrainFactoryExtensions
{
    public static IOrgGrain GetOrg(this IGrainFactory grains, string orgId) =>
        grains.GetGrain<IOrgGrain>(orgId);

    public static IDeviceGrain GetDevice(this IGrainFactory grains, string orgId, string deviceId) =>
        grains.GetGrain<IDeviceGrain>(GrainKeys.Scoped(orgId, deviceId));

    public static IUserGrain GetUser(this IGrainFactory grains, string orgId, string userId) =>
        grains.GetGrain<IUserGrain>(GrainKeys.Scoped(orgId, userId));

    public static IDeviceIndexShardGrain GetDeviceIndexShard(this IGrainFactory grains, string orgId, int shard) =>
        grains.GetGrain<IDeviceIndexShardGrain>(GrainKeys.DeviceShardKey(orgId, shard));

    public static IDeviceIndexShardGrain GetDeviceIndexShardFor(this IGrainFactory grains, string orgId, string deviceId) =>
        grains.GetDeviceIndexShard(orgId, GrainKeys.DeviceShard(deviceId));

    public static IRolloutGrain GetRollout(this IGrainFactory grains, string orgId, string rolloutId) =>
        grains.GetGrain<IRolloutGrain>(GrainKeys.Scoped(orgId, rolloutId));

    public static IRolloutShardGrain GetRolloutShard(this IGrainFactory grains, string orgId, string rolloutId, int shard) =>
        grains.GetGrain<IRolloutShardGrain>(GrainKeys.RolloutShardKey(orgId, rolloutId, shard));

    public static IDeviceDirectoryGrain GetDeviceDirectory(this IGrainFactory grains, string orgId) =>
        grains.GetGrain<IDeviceDirectoryGrain>(orgId);

    public static ICertificateRevocationGrain GetCertificateRevocation(this IGrainFactory grains) =>
        grains.GetGrain<ICertificateRevocationGrain>(ICertificateRevocationGrain.Key);
}
