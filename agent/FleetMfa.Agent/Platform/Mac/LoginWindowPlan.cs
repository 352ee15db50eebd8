using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Platform.Mac;

/// <summary>
/// The macOS decisions, free of the OS: FleetMfa's plug-in goes into the login window's right
/// (<c>system.login.console</c>) only — not FileVault, the screen saver or the lock screen — right after the password
/// check, and comes out again when MFA is off. Mechanisms of other plug-ins are reported as a conflict.
/// </summary>
public static class LoginWindowPlan
{
    public const string LoginWindowRight = "system.login.console";
    public const string PluginName = "FleetMfa";

    /// <summary>The UI mechanism asks for the code; the privileged one runs <c>fleetmfa-agent verify</c> as root.</summary>
    public static IReadOnlyList<string> OurMechanisms { get; } = [$"{PluginName}:prompt", $"{PluginName}:verify,privileged"];

    /// <summary>Apple's own mechanism plug-ins (the part before the colon).</summary>
    private static readonly HashSet<string> ApplePlugins = new(StringComparer.Ordinal)
    {
        "builtin", "loginwindow", "HomeDirMechanism", "MCXMechanism", "CryptoTokenKit", "PKINITMechanism", "KerberosAgent", "authinternal",
    };

    private static readonly string[] Anchors = ["builtin:authenticate,privileged", "loginwindow:login"];

    /// <summary>Other authorization plug-ins: non-Apple mechanisms in the login right, and any installed bundle but ours.</summary>
    public static IReadOnlyList<string> OtherPlugins(IEnumerable<string> loginMechanisms, IEnumerable<string> installedBundles)
    {
        ArgumentNullException.ThrowIfNull(loginMechanisms);
        ArgumentNullException.ThrowIfNull(installedBundles);
        return loginMechanisms.Select(m => m.Split(':')[0])
            .Where(p => !ApplePlugins.Contains(p))
            .Concat(installedBundles)
            .Where(p => p != PluginName)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The login right's mechanisms for <paramref name="mfa"/>: ours right after the password check, or none of ours.</summary>
    public static IReadOnlyList<string> Mechanisms(IReadOnlyList<string> current, bool mfa, MacPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(policy);
        var without = current.Where(m => !m.StartsWith($"{PluginName}:", StringComparison.Ordinal)).ToList();
        if (!mfa)
        {
            return without;
        }

        if (!policy.LoginWindowOnly)
        {
            throw new PolicyException("FleetMfa prompts at the macOS login window only (not FileVault, the screen saver or the lock screen)");
        }

        var anchor = Anchors.Select(a => without.IndexOf(a)).FirstOrDefault(i => i >= 0, -1);
        if (anchor < 0)
        {
            throw new PolicyException($"the {LoginWindowRight} right has no password mechanism to follow ({string.Join(" or ", Anchors)})");
        }

        without.InsertRange(anchor + 1, OurMechanisms);
        return without;
    }
}
