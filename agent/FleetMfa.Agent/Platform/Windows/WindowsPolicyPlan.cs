using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Platform.Windows;

/// <summary>
/// The Windows decisions, free of the registry: which values MFA needs, and what to put back when it no longer does.
/// While MFA is on, <c>DisableAutomaticRestartSignOn=1</c> (Automatic Restart Sign-On would skip the prompt after a
/// reboot) and <c>SafeModeBlockNonAdmins=1</c> (Safe Mode bypasses credential providers) as the policy asks, and
/// FleetMfa's credential provider filters the others out once a bound user must give a code. A value the agent never
/// changed is left alone; one it changed goes back to the original it recorded, which is then forgotten.
/// </summary>
public static class WindowsPolicyPlan
{
    public const string SystemPoliciesKey = @"SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System";
    public const string CredentialProviderKey = @"SOFTWARE\FleetMfa\CredentialProvider";

    public static readonly RegistryValue DisableAutomaticRestartSignOn = new(SystemPoliciesKey, nameof(WindowsPolicy.DisableAutomaticRestartSignOn));
    public static readonly RegistryValue SafeModeBlockNonAdmins = new(SystemPoliciesKey, nameof(WindowsPolicy.SafeModeBlockNonAdmins));

    /// <summary>Read by FleetMfa's credential provider: 1 = show only FleetMfa's tile (it asks for the code through <c>fleetmfa-agent verify</c>).</summary>
    public static readonly RegistryValue FilterOtherProviders = new(CredentialProviderKey, "FilterOtherProviders");

    public static IReadOnlyList<RegistryValue> Managed { get; } = [DisableAutomaticRestartSignOn, SafeModeBlockNonAdmins, FilterOtherProviders];

    /// <summary>What each managed value must be for this request: 1, or <c>null</c> for "as it was before FleetMfa".</summary>
    public static IReadOnlyDictionary<RegistryValue, int?> Desired(PolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var windows = request.Policy.Windows;
        return new Dictionary<RegistryValue, int?>
        {
            [DisableAutomaticRestartSignOn] = request.Mfa && windows.DisableAutomaticRestartSignOn ? 1 : null,
            [SafeModeBlockNonAdmins] = request.Mfa && windows.SafeModeBlockNonAdmins ? 1 : null,
            [FilterOtherProviders] = request.Mfa && request.PromptedUsers.Count > 0 ? 1 : null,
        };
    }

    /// <summary>
    /// The changes that bring <paramref name="current"/> to the request, and the originals to keep afterwards
    /// (<paramref name="originals"/>: value → what it was before FleetMfa first changed it; absent = never changed).
    /// </summary>
    public static (IReadOnlyList<RegistryChange> Changes, IReadOnlyDictionary<RegistryValue, int?> Originals) Decide(
        PolicyRequest request, IReadOnlyDictionary<RegistryValue, int?> current, IReadOnlyDictionary<RegistryValue, int?> originals)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(originals);
        var changes = new List<RegistryChange>();
        var kept = new Dictionary<RegistryValue, int?>(originals);
        foreach (var (value, wanted) in Desired(request))
        {
            var now = current.GetValueOrDefault(value);
            if (wanted is { } data)
            {
                if (now != data)
                {
                    kept.TryAdd(value, now);
                    changes.Add(new RegistryChange(value, data));
                }
            }
            else if (kept.Remove(value, out var original))
            {
                if (now != original)
                {
                    changes.Add(new RegistryChange(value, original));
                }
            }
        }

        return (changes, kept);
    }
}
