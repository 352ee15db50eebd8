using FleetMfa.Grains;
using FleetMfa.Grains.Rules;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>Per-OS rules refuse with a stable code and never half-apply.</summary>
[Collection(ClusterCollection.Name)]
public class OsRuleTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    private async Task AssertRefusedAndUnchangedAsync(string orgId, string deviceId, string code, bool force)
    {
        var device = _grains.GetDevice(orgId, deviceId);
        var before = await device.GetAsync();
        Assert.NotNull(before);

        await FleetAssert.RefusedAsync(code, () => device.EnableMfaAsync(force));

        var after = await device.GetAsync();
        Assert.NotNull(after);
        Assert.False(after.Mfa.Desired);
        Assert.False(after.Mfa.Required);
        Assert.Equal(before.Mfa.DesiredVersion, after.Mfa.DesiredVersion);
        Assert.Equal(before.Settings, after.Settings);
        var row = (await _grains.GetDeviceDirectory(orgId).ListAsync(new DeviceQuery(null, null, null, null, 100))).Items.Single(r => r.DeviceId == deviceId);
        Assert.False(row.MfaDesired);
        Assert.Equal(MfaStatus.Disabled, row.MfaStatus);
    }

    [Fact]
    public async Task Enable_is_refused_when_password_and_public_key_are_both_allowed()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.GetDevice(orgId, "web-01").UpdateSettingsAsync(new DeviceSettingsPatch(true, true, null, null));

        await AssertRefusedAndUnchangedAsync(orgId, "web-01", ErrorCodes.LinuxSshConflict, force: false);
        await AssertRefusedAndUnchangedAsync(orgId, "web-01", ErrorCodes.LinuxSshConflict, force: true);
    }

    [Theory]
    [InlineData("6.1.7601")]
    [InlineData("8.1")]
    [InlineData("garbage")]
    public async Task Enable_is_refused_on_windows_before_10_even_when_forced(string osVersion)
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterAsync(orgId, "win-01", DeviceOs.Windows, osVersion);

        await AssertRefusedAndUnchangedAsync(orgId, "win-01", ErrorCodes.WindowsVersionUnsupported, force: false);
        await AssertRefusedAndUnchangedAsync(orgId, "win-01", ErrorCodes.WindowsVersionUnsupported, force: true);
    }

    [Fact]
    public async Task Enable_is_refused_on_macos_with_another_auth_plugin()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterAsync(orgId, "mac-01", DeviceOs.Macos, "14.5", DeviceFacts.Unknown with { AuthPlugins = ["JamfConnectLogin"] });

        await AssertRefusedAndUnchangedAsync(orgId, "mac-01", ErrorCodes.MacAuthPluginConflict, force: false);
    }

    [Fact]
    public async Task Force_overrides_the_macos_auth_plugin_rule()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterAsync(orgId, "mac-01", DeviceOs.Macos, "14.5", DeviceFacts.Unknown with { AuthPlugins = ["JamfConnectLogin"] });

        var detail = await _grains.GetDevice(orgId, "mac-01").EnableMfaAsync(force: true);

        Assert.True(detail.Mfa.Desired);
        Assert.True(detail.Mfa.Required);
    }

    [Theory]
    [InlineData(DeviceOs.Windows, "10.0.19045")]
    [InlineData(DeviceOs.Windows, "11")]
    [InlineData(DeviceOs.Macos, "14.5")]
    [InlineData(DeviceOs.Linux, "Ubuntu 24.04")]
    public async Task Enable_is_allowed_when_no_rule_applies(DeviceOs os, string osVersion)
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterAsync(orgId, "dev-01", os, osVersion);

        var detail = await _grains.GetDevice(orgId, "dev-01").EnableMfaAsync(force: false);

        Assert.True(detail.Mfa.Required);
    }

    [Fact]
    public async Task Patching_into_the_linux_ssh_conflict_while_mfa_is_on_is_refused_and_changes_nothing()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        var device = _grains.GetDevice(orgId, "web-01");
        var enabled = await device.EnableMfaAsync(force: false);

        await FleetAssert.RefusedAsync(ErrorCodes.LinuxSshConflict, () => device.UpdateSettingsAsync(new DeviceSettingsPatch(null, true, false, null)));

        var after = await device.GetAsync();
        Assert.NotNull(after);
        Assert.Equal(enabled.Settings, after.Settings);
        Assert.Equal(LinuxSettings.Default, after.Settings.Linux);
        Assert.Equal(WindowsSettings.Default, after.Settings.Windows);
        Assert.Equal(enabled.Mfa.DesiredVersion, after.Mfa.DesiredVersion);
        Assert.True(after.Mfa.Required);
    }

    [Fact]
    public async Task Switching_ssh_from_password_to_public_key_while_mfa_is_on_is_allowed()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        var device = _grains.GetDevice(orgId, "web-01");
        var enabled = await device.EnableMfaAsync(force: false);

        var patched = await device.UpdateSettingsAsync(new DeviceSettingsPatch(false, true, null, null));

        Assert.Equal(new LinuxSettings(false, true), patched.Settings.Linux);
        Assert.True(patched.Mfa.DesiredVersion > enabled.Mfa.DesiredVersion);
    }

    [Fact]
    public async Task The_ssh_conflict_can_be_set_while_mfa_is_off_and_then_blocks_enabling()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");

        var patched = await _grains.GetDevice(orgId, "web-01").UpdateSettingsAsync(new DeviceSettingsPatch(true, true, null, null));

        Assert.Equal(new LinuxSettings(true, true), patched.Settings.Linux);
        await AssertRefusedAndUnchangedAsync(orgId, "web-01", ErrorCodes.LinuxSshConflict, force: false);
    }

    [Fact]
    public async Task A_macos_12_device_with_a_small_display_carries_the_warning()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var detail = await _grains.RegisterAsync(orgId, "mac-01", DeviceOs.Macos, "12.7.4", DeviceFacts.Unknown with { DisplayHeightPixels = 800 });

        Assert.Equal([MfaRules.MacSmallDisplayWarning], detail.Mfa.Warnings);
        Assert.Equal([MfaRules.MacSmallDisplayWarning], (await _grains.GetDevice(orgId, "mac-01").EnableMfaAsync(force: false)).Mfa.Warnings);
    }

    [Fact]
    public async Task A_device_cannot_change_its_os()
    {
        var orgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");

        await FleetAssert.RefusedAsync(ErrorCodes.Conflict, () => _grains.RegisterAsync(orgId, "web-01", DeviceOs.Windows, "11"));
        Assert.Equal(DeviceOs.Linux, (await _grains.GetDevice(orgId, "web-01").GetAsync())?.Os);
    }
}
