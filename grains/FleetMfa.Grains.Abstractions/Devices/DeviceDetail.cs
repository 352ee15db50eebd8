namespace FleetMfa.Grains;

[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceDetail")]
public sealed record DeviceDetail(
    [property: Id(0)] string OrgId,
    [property: Id(1)] string DeviceId,
    [property: Id(2)] string Hostname,
    [property: Id(3)] DeviceOs Os,
    [property: Id(4)] string OsVersion,
    [property: Id(5)] DeviceFacts Facts,
    [property: Id(6)] DeviceSettings Settings,
    [property: Id(7)] MfaInfo Mfa,
    [property: Id(8)] bool Online,
    [property: Id(9)] DateTimeOffset? LastSeen,
    [property: Id(10)] DateTimeOffset CreatedAt,
    [property: Id(11)] DecommissionInfo? Decommissioned = null);
