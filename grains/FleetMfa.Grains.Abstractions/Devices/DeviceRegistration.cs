namespace FleetMfa.Grains;

/// <summary>Registers a device (or updates its hostname and OS version). <see cref="Facts"/> may come from an inventory import.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceRegistration")]
public sealed record DeviceRegistration(
    [property: Id(0)] string Hostname,
    [property: Id(1)] DeviceOs Os,
    [property: Id(2)] string OsVersion,
    [property: Id(3)] DeviceFacts? Facts);
