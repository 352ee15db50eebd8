namespace FleetMfa.Grains.Devices;

/// <summary>An index shard's own state; its rows live in the <see cref="IDeviceIndexStore"/>.</summary>
[GenerateSerializer, Alias("fleetmfa.DeviceIndexShardState")]
public sealed class DeviceIndexShardState
{
    // [Id(0)] held the rows before they had records of their own in the store: shipped, so never reused.

    [Id(1)] public OrgPolicy? Policy { get; set; }

    /// <summary>The policy version every device of this shard with MFA on has been handed.</summary>
    [Id(2)] public long FannedOutVersion { get; set; }
}
