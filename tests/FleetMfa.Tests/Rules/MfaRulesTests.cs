using FleetMfa.Grains;
using FleetMfa.Grains.Rules;

namespace FleetMfa.Tests.Rules;

public class MfaRulesTests
{
    private static DeviceSettings Ssh(bool password, bool publicKey) =>
        DeviceSettings.Default with { Linux = new LinuxSettings(password, publicKey) };

    private static DeviceFacts Plugins(params string[] plugins) => DeviceFacts.Unknown with { AuthPlugins = plugins };

    private static DeviceFacts Display(int? height) => DeviceFacts.Unknown with { DisplayHeightPixels = height };

    private static string? RefusalCode(DeviceOs os, string osVersion, DeviceSettings settings, DeviceFacts facts, bool force)
    {
        try
        {
            MfaRules.EnsureCanRequire(os, osVersion, settings, facts, force);
            return null;
        }
        catch (FleetMfaException refusal)
        {
            return refusal.Code;
        }
    }

    [Fact]
    public void Linux_is_refused_when_password_and_public_key_are_both_allowed() =>
        Assert.Equal(ErrorCodes.LinuxSshConflict, RefusalCode(DeviceOs.Linux, "Debian 13", Ssh(true, true), DeviceFacts.Unknown, force: false));

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Linux_is_allowed_unless_both_ssh_methods_are_on(bool password, bool publicKey) =>
        Assert.Null(RefusalCode(DeviceOs.Linux, "Debian 13", Ssh(password, publicKey), DeviceFacts.Unknown, force: false));

    [Fact]
    public void Force_does_not_override_the_linux_rule() =>
        Assert.Equal(ErrorCodes.LinuxSshConflict, RefusalCode(DeviceOs.Linux, "Debian 13", Ssh(true, true), DeviceFacts.Unknown, force: true));

    [Fact]
    public void The_linux_rule_does_not_apply_to_other_systems() =>
        Assert.Null(RefusalCode(DeviceOs.Windows, "10.0.19045", Ssh(true, true), DeviceFacts.Unknown, force: false));

    [Theory]
    [InlineData("6.1.7601")]
    [InlineData("6.3.9600")]
    [InlineData("8.1")]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("v10")]
    public void Windows_before_10_or_unreadable_versions_are_refused(string osVersion) =>
        Assert.Equal(ErrorCodes.WindowsVersionUnsupported, RefusalCode(DeviceOs.Windows, osVersion, DeviceSettings.Default, DeviceFacts.Unknown, force: false));

    [Theory]
    [InlineData("10.0.19045")]
    [InlineData("10.0.22631")]
    [InlineData("11")]
    [InlineData(" 10.0 ")]
    public void Windows_10_and_later_are_allowed(string osVersion) =>
        Assert.Null(RefusalCode(DeviceOs.Windows, osVersion, DeviceSettings.Default, DeviceFacts.Unknown, force: false));

    [Fact]
    public void Force_does_not_override_the_windows_rule() =>
        Assert.Equal(ErrorCodes.WindowsVersionUnsupported, RefusalCode(DeviceOs.Windows, "6.1.7601", DeviceSettings.Default, DeviceFacts.Unknown, force: true));

    [Fact]
    public void Macos_is_refused_when_another_auth_plugin_is_installed() =>
        Assert.Equal(ErrorCodes.MacAuthPluginConflict, RefusalCode(DeviceOs.Macos, "14.5", DeviceSettings.Default, Plugins("JamfConnectLogin"), force: false));

    [Fact]
    public void Force_overrides_the_macos_auth_plugin_rule() =>
        Assert.Null(RefusalCode(DeviceOs.Macos, "14.5", DeviceSettings.Default, Plugins("JamfConnectLogin"), force: true));

    [Fact]
    public void Macos_without_auth_plugins_is_allowed() =>
        Assert.Null(RefusalCode(DeviceOs.Macos, "14.5", DeviceSettings.Default, DeviceFacts.Unknown, force: false));

    [Theory]
    [InlineData("12.7.4", 800)]
    [InlineData("12", 899)]
    [InlineData("12.0", 0)]
    public void Macos_12_with_a_display_under_900_pixels_warns(string osVersion, int height) =>
        Assert.Equal([MfaRules.MacSmallDisplayWarning], MfaRules.Warnings(DeviceOs.Macos, osVersion, Display(height)));

    [Theory]
    [InlineData("12.7.4", 900)]
    [InlineData("12.7.4", 1440)]
    [InlineData("12.7.4", null)]
    [InlineData("13.6", 800)]
    [InlineData("11.7", 800)]
    [InlineData("14.5", 800)]
    public void Other_macos_displays_do_not_warn(string osVersion, int? height) =>
        Assert.Empty(MfaRules.Warnings(DeviceOs.Macos, osVersion, Display(height)));

    [Fact]
    public void The_small_display_warning_is_for_macos_only() =>
        Assert.Empty(MfaRules.Warnings(DeviceOs.Windows, "12", Display(600)));

    [Fact]
    public void Linux_without_an_ssh_server_warns()
    {
        Assert.Equal([MfaRules.LinuxNoSshServerWarning], MfaRules.Warnings(DeviceOs.Linux, "Debian 13", DeviceFacts.Unknown with { SshServerInstalled = false }));
        Assert.Empty(MfaRules.Warnings(DeviceOs.Linux, "Debian 13", DeviceFacts.Unknown with { SshServerInstalled = true }));
        Assert.Empty(MfaRules.Warnings(DeviceOs.Linux, "Debian 13", DeviceFacts.Unknown));
    }

    [Theory]
    [InlineData("10.0.19045", 10)]
    [InlineData("6.1.7601", 6)]
    [InlineData("11", 11)]
    [InlineData("  14.5", 14)]
    [InlineData("", null)]
    [InlineData("garbage", null)]
    [InlineData(".1", null)]
    [InlineData("99999999999999999999", null)]
    public void MajorVersion_reads_the_leading_number(string osVersion, int? major) =>
        Assert.Equal(major, MfaRules.MajorVersion(osVersion));
}
