namespace FleetMfa.Silo.Api.Requests;

public sealed record LinuxSettingsPatch(bool? SshPasswordLogin = null, bool? SshPublicKeyAuth = null);
