namespace FleetMfa.Grains.Devices;

/// <summary>A user bound to a device, with the enrollment the device's desired state was last built from.</summary>
[GenerateSerializer, Alias("fleetmfa.BoundUser")]
public sealed class BoundUser
{
    [Id(0)] public string LocalUsername { get; set; } = "";
    [Id(1)] public string Username { get; set; } = "";
    [Id(2)] public TotpStatus TotpStatus { get; set; }
    [Id(3)] public int SecretVersion { get; set; }
}
