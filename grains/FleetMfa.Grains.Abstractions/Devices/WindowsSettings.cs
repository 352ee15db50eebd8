namespace FleetMfa.Grains;

/// <summary>
/// Windows policies that travel with the desired state: <c>DisableAutomaticRestartSignOn=1</c> keeps ARSO from skipping
/// the prompt after a reboot; <c>SafeModeBlockNonAdmins=1</c> closes the Safe Mode bypass for non-admins.
/// </summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.WindowsSettings")]
public sealed record WindowsSettings(
    [property: Id(0)] bool DisableAutomaticRestartSignOn,
    [property: Id(1)] bool SafeModeBlockNonAdmins)
{
    public static WindowsSettings Default { get; } = new(DisableAutomaticRestartSignOn: true, SafeModeBlockNonAdmins: true);
}
