using System.Security.Cryptography;
using FleetMfa.Agent.Daemon;
using FleetMfa.Agent.Platform;
using FleetMfa.Agent.Store;
using FleetMfa.Agent.Tests.Infrastructure;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Sealing;
using Microsoft.Extensions.Time.Testing;

namespace FleetMfa.Agent.Tests.Platform;

/// <summary>The desired state's OS policy goes to the platform before the store changes; a refusal keeps the old state.</summary>
public sealed class PolicyApplyTests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly ECDiffieHellman _identity;
    private readonly AgentConfig _config;
    private readonly RecordingPlatform _platform = new();

    public PolicyApplyTests()
    {
        _config = _store.Enroll();
        _identity = _store.Store.LoadOrCreateIdentity();
    }

    private DesiredState Desired(long version, bool mfa) => new(
        DesiredState.CurrentSchema, TestStore.OrgId, TestStore.DeviceId, version, mfa, TestTotp.Default, TestStore.Policy,
        [new DesiredUser("alice", "alice.l", 1, SecretSealer.Seal(_identity.ExportSubjectPublicKeyInfo(), TestTotp.Secret("alice"), SecretSealer.AssociatedData(TestStore.OrgId, TestStore.DeviceId, "alice", 1)))],
        DateTimeOffset.UnixEpoch);

    private ApplyResult Apply(DesiredState desired) => new DesiredStateApplier(_store.Store, _config, _identity, new FakeTimeProvider(), _platform).Apply(desired);

    [Fact]
    public void The_platform_gets_the_switch_the_policy_and_the_prompted_local_accounts()
    {
        Assert.True(Apply(Desired(4, true)).Changed);

        var request = Assert.Single(_platform.Requests);
        Assert.Equal((4L, true, TestStore.Policy), (request.Version, request.Mfa, request.Policy));
        Assert.Equal(["alice.l"], request.PromptedUsers);
    }

    [Fact]
    public void A_policy_the_OS_refuses_fails_the_version_and_keeps_the_state_in_force()
    {
        Assert.True(Apply(Desired(4, true)).Changed);
        _platform.Refusal = "the PAM module is not installed";

        var result = Apply(Desired(5, false));

        Assert.False(result.Changed);
        Assert.Equal(5, result.FailedVersion);
        Assert.Contains("the PAM module is not installed", result.Reason, StringComparison.Ordinal);
        Assert.Equal((4L, true), (_store.Store.Load()!.Version, _store.Store.Load()!.Mfa));
    }

    public void Dispose()
    {
        _identity.Dispose();
        _store.Dispose();
    }
}
