namespace FleetMfa.Grains.Devices;

[GenerateSerializer, Alias("fleetmfa.DeviceIndexShardState")]
public sealed class DeviceIndexShardState
{
    [Id(0)] public Dictionary<string, DeviceRow> Rows { get; set; } = [];
    [Id(1)] public OrgPolicy? Policy { get; set; }

    /// <summary>The policy version every device of this shard with MFA on has been handed.</summary>
    [Id(2)] public long FannedOutVersion { get; set; }
}
