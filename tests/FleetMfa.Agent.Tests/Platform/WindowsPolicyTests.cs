using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Platform.Windows;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>The Windows decisions (DESIGN §1: ARSO and Safe Mode policies, the credential provider filter) against an in-memory registry.</summary>
public sealed class WindowsPolicyTests : IDisposable
{
    private static readonly RegistryValue Arso = WindowsPolicyPlan.DisableAutomaticRestartSignOn;
    private static readonly RegistryValue SafeMode = WindowsPolicyPlan.SafeModeBlockNonAdmins;
    private static readonly RegistryValue Filter = WindowsPolicyPlan.FilterOtherProviders;

    private readonly TempDirectory _backup = new();
    private readonly InMemoryRegistry _registry = new();

    private static PolicyRequest Request(bool mfa, bool arso = true, bool safeMode = true, params string[] users) =>
        new(7, mfa, new OsPolicy(new LinuxPolicy(true, false), new WindowsPolicy(arso, safeMode), new MacPolicy(true)), users);

    private WindowsPlatform Platform() => new(_registry, _backup.Path);

    [Fact]
    public void The_policies_are_the_documented_values_under_Policies_System()
    {
        Assert.Equal(@"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\DisableAutomaticRestartSignOn", Arso.ToString());
        Assert.Equal(@"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\SafeModeBlockNonAdmins", SafeMode.ToString());
    }

    [Fact]
    public void Mfa_on_sets_both_policies_and_filters_other_providers_once_a_user_must_give_a_code()
    {
        Platform().ApplyPolicy(Request(true, users: "alice"));

        Assert.Equal(new Dictionary<RegistryValue, int> { [Arso] = 1, [SafeMode] = 1, [Filter] = 1 }, _registry.Values);
    }

    [Fact]
    public void Without_a_prompted_user_the_other_credential_providers_stay()
    {
        Platform().ApplyPolicy(Request(true));

        Assert.False(_registry.Values.ContainsKey(Filter));
        Assert.Equal(1, _registry.Values[Arso]);
    }

    [Fact]
    public void A_policy_the_operator_turned_off_is_not_touched()
    {
        _registry.Values[SafeMode] = 0;

        Platform().ApplyPolicy(Request(true, arso: true, safeMode: false, "alice"));

        Assert.Equal(0, _registry.Values[SafeMode]);
    }

    [Fact]
    public void Applying_again_writes_nothing()
    {
        Platform().ApplyPolicy(Request(true, users: "alice"));
        var writes = _registry.Writes;

        var again = Platform().ApplyPolicy(Request(true, users: "alice"));

        Assert.False(again.Changed);
        Assert.Equal(writes, _registry.Writes);
    }

    [Fact]
    public void Mfa_off_restores_the_values_as_they_were_before_FleetMfa()
    {
        _registry.Values[Arso] = 0;
        Platform().ApplyPolicy(Request(true, users: "alice"));

        var off = Platform().ApplyPolicy(Request(false));

        Assert.True(off.Changed);
        Assert.Equal(new Dictionary<RegistryValue, int> { [Arso] = 0 }, _registry.Values);
        Assert.Empty(Directory.EnumerateFiles(_backup.Path));
    }

    [Fact]
    public void A_value_that_was_already_set_is_not_claimed_and_stays_when_MFA_goes_off()
    {
        _registry.Values[Arso] = 1;
        Platform().ApplyPolicy(Request(true));

        Platform().ApplyPolicy(Request(false));

        Assert.Equal(1, _registry.Values[Arso]);
        Assert.False(_registry.Values.ContainsKey(SafeMode));
    }

    [Fact]
    public void The_originals_survive_a_restart_of_the_agent()
    {
        _registry.Values[SafeMode] = 0;
        new WindowsPlatform(_registry, _backup.Path).ApplyPolicy(Request(true));

        new WindowsPlatform(_registry, _backup.Path).ApplyPolicy(Request(false));

        Assert.Equal(new Dictionary<RegistryValue, int> { [SafeMode] = 0 }, _registry.Values);
    }

    [Fact]
    public void The_plan_is_a_pure_function_of_request_registry_and_originals()
    {
        var current = new Dictionary<RegistryValue, int?> { [Arso] = 1, [SafeMode] = 0 };
        var originals = new Dictionary<RegistryValue, int?> { [Arso] = null };

        var (changes, kept) = WindowsPolicyPlan.Decide(Request(false), current, originals);

        Assert.Equal([new RegistryChange(Arso, null)], changes);
        Assert.Empty(kept);
    }

    public void Dispose() => _backup.Dispose();
}
