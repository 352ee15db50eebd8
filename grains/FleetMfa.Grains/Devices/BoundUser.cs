namespace FleetMfa.Grains.Devices;

/// <summary>
/// A user bound to a device, with the newest update of the user's enrollment the device was given (<see cref="Revision"/>)
/// and the secret in it, sealed by the user grain to this device's key: the device's desired state is built from these
/// alone, without asking the user.
/// </summary>
[GenerateSerializer, Alias("fleetmfa.BoundUser")]
public sealed class BoundUser
{
    [Id(0)] public string LocalUsername { get; set; } = "";
    [Id(1)] public string Username { get; set; } = "";
    [Id(2)] public TotpStatus TotpStatus { get; set; }
    [Id(3)] public int SecretVersion { get; set; }

    /// <summary>The user's revision this binding holds (<see cref="UserTotpUpdate.Revision"/>); an update of one not above it is stale.</summary>
    [Id(4)] public long Revision { get; set; }

    /// <summary>The user's secret of <see cref="SecretVersion"/> sealed to this device's key; null unless the user is enrolled and the device has a key.</summary>
    [Id(5)] public SealedUserSecret? Secret { get; set; }
}
