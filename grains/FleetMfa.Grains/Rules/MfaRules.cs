using System.Globalization;

namespace FleetMfa.Grains.Rules;

/// <summary>
/// The per-OS rules of the seed (DESIGN §1). <see cref="EnsureCanRequire"/> throws the rule's stable code before
/// anything changes; <see cref="Warnings"/> names what an operator should know but may accept.
/// </summary>
public static class MfaRules
{
    public const string MacSmallDisplayWarning = "macos-12-small-display";
    public const string LinuxNoSshServerWarning = "linux-no-ssh-server";
    public const int MacMinimumDisplayHeight = 900;

    public static void EnsureCanRequire(DeviceOs os, string osVersion, DeviceSettings settings, DeviceFacts facts, bool force)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(facts);
        switch (os)
        {
            case DeviceOs.Linux:
                EnsureLinuxSettings(settings.Linux);
                break;
            case DeviceOs.Windows when MajorVersion(osVersion) is not >= 10:
                throw new FleetMfaException(
                    ErrorCodes.WindowsVersionUnsupported,
                    $"TOTP MFA needs Windows 10 or later; this device reports '{osVersion}'.");
            case DeviceOs.Macos when facts.AuthPlugins.Count > 0 && !force:
                throw new FleetMfaException(
                    ErrorCodes.MacAuthPluginConflict,
                    $"The device uses another authorization plug-in ({string.Join(", ", facts.AuthPlugins)}); enabling TOTP MFA could lock users out. Repeat with force to override.");
        }
    }

    /// <summary>Linux: MFA applies to SSH, and cannot be on while both password login and public-key auth are allowed.</summary>
    public static void EnsureLinuxSettings(LinuxSettings linux)
    {
        ArgumentNullException.ThrowIfNull(linux);
        if (linux.SshPasswordLogin && linux.SshPublicKeyAuth)
        {
            throw new FleetMfaException(
                ErrorCodes.LinuxSshConflict,
                "MFA cannot be on while both SSH password login and public-key authentication are allowed; turn one of them off.");
        }
    }

    public static IReadOnlyList<string> Warnings(DeviceOs os, string osVersion, DeviceFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return os switch
        {
            DeviceOs.Macos when MajorVersion(osVersion) == 12 && facts.DisplayHeightPixels is < MacMinimumDisplayHeight => [MacSmallDisplayWarning],
            DeviceOs.Linux when facts.SshServerInstalled == false => [LinuxNoSshServerWarning],
            _ => [],
        };
    }

    /// <summary>The leading number of a version string ("10.0.19045" → 10, "6.1.7601" → 6), or <c>null</c>.</summary>
    public static int? MajorVersion(string osVersion)
    {
        var span = osVersion.AsSpan().Trim();
        var end = 0;
        while (end < span.Length && char.IsAsciiDigit(span[end]))
        {
            end++;
        }

        return end > 0 && int.TryParse(span[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : null;
    }
}
