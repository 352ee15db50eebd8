namespace FleetMfa.Grains;

/// <summary>A partial settings update; <c>null</c> members stay as they are.</summary>
[GenerateSerializer, Immutable, Alias("fleetmfa.DeviceSettingsPatch")]
public sealed record DeviceSettingsPatch(
    [property: Id(0)] bool? SshPasswordLogin,
    [property: Id(1)] bool? SshPublicKeyAuth,
    [property: Id(2)] bool? DisableAutomaticRestartSignOn,
    [property: Id(3)] bool? SafeModeBlockNonAdmins);
