namespace FleetMfa.Grains;

/// <summary>The TOTP status of one user bound to a device.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceUserStatus")]
public sealed record DeviceUserStatus(
    [property: Id(0)] string UserId,
    [property: Id(1)] string Username,
    [property: Id(2)] string LocalUsername,
    [property: Id(3)] TotpStatus TotpStatus,
    [property: Id(4)] OnDeviceStatus OnDevice);
