using FleetMfa.Grains;

namespace FleetMfa.Silo.Api.Requests;

public sealed record PatchDeviceRequest(LinuxSettingsPatch? Linux = null, WindowsSettingsPatch? Windows = null)
{
    public DeviceSettingsPatch ToPatch() => new(
        Linux?.SshPasswordLogin,
        Linux?.SshPublicKeyAuth,
        Windows?.DisableAutomaticRestartSignOn,
        Windows?.SafeModeBlockNonAdmins);
}
