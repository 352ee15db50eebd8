namespace FleetMfa.Silo.Api.Requests;

public sealed record WindowsSettingsPatch(bool? DisableAutomaticRestartSignOn = null, bool? SafeModeBlockNonAdmins = null);
