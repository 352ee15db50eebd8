using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// <see cref="DeviceTwin"/> taking a user's updates, without a cluster: only a newer revision is taken, a sealed secret is
/// kept only for an enrolled user of that very secret version, and the desired state is built from what is stored.
/// </summary>
public sealed class UserUpdateTwinTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly OrgPolicy TotpOn = new(true, new TotpParameters(6, 30, "SHA1", 1), 2);
    private static readonly DeviceEffect[] PublishAndIndex = [DeviceEffect.SyncIndex, DeviceEffect.PublishDesired];

    private static SealedUserSecret Sealed(int secretVersion) => new(secretVersion, [1, 2, 3], [4, 5, 6], [7, 8, (byte)secretVersion]);

    /// <summary>A device with MFA on and alice bound at revision 5, enrolled with secret version 2 sealed to the device.</summary>
    private static DeviceState Device()
    {
        var state = DeviceTwinTests.Device(TotpOn);
        DeviceTwin.EnableMfa(state, force: false, TotpOn);
        UserBindingTwin.Bind(state, "alice", "asmith", DeviceTwinTests.Update(5, "Alice", TotpStatus.Enrolled, 2, Sealed(2)));
        state.AppliedVersion = state.DesiredVersion;
        return state;
    }

    [Theory]
    [InlineData(5, TotpStatus.NotEnrolled)]
    [InlineData(4, TotpStatus.NotEnrolled)]
    [InlineData(1, TotpStatus.Enrolled)]
    [InlineData(0, TotpStatus.PendingSetup)]
    public void An_update_not_newer_than_the_one_held_changes_nothing(long revision, TotpStatus status)
    {
        var state = Device();
        var before = DeviceTwinTests.Json(state);

        Assert.Null(UserBindingTwin.TakeUserTotp(state, "alice", DeviceTwinTests.Update(revision, "Alice", status, 1)));

        Assert.Equal(before, DeviceTwinTests.Json(state));
    }

    [Theory]
    // status, secret version, the sealed secret's version (0: none) → kept, desired state moves on, alice prompted
    [InlineData(TotpStatus.NotEnrolled, 2, 0, false, true, false)]
    [InlineData(TotpStatus.NotEnrolled, 2, 2, false, true, false)]
    [InlineData(TotpStatus.PendingSetup, 3, 3, false, true, false)]
    [InlineData(TotpStatus.Enrolled, 3, 2, false, true, false)]
    [InlineData(TotpStatus.Enrolled, 3, 3, true, true, true)]
    [InlineData(TotpStatus.Enrolled, 2, 2, true, false, true)]
    public void A_newer_update_is_taken_and_a_secret_is_kept_only_for_an_enrolled_user_of_its_version(
        TotpStatus status, int secretVersion, int sealedVersion, bool kept, bool bumps, bool prompted)
    {
        var state = Device();
        var version = state.DesiredVersion;

        var effects = UserBindingTwin.TakeUserTotp(state, "alice", DeviceTwinTests.Update(6, "Alice", status, secretVersion, sealedVersion == 0 ? null : Sealed(sealedVersion)));

        Assert.Equal(bumps ? PublishAndIndex : [], effects);
        Assert.Equal(bumps ? version + 1 : version, state.DesiredVersion);
        var bound = state.Users["alice"];
        Assert.Equal((6L, status, secretVersion), (bound.Revision, bound.TotpStatus, bound.SecretVersion));
        Assert.Equal(kept, bound.Secret is not null);
        var desired = DesiredStates.Build("org-1", "web-01", state, Now);
        Assert.Equal(prompted, desired.Users.Any(u => u.UserId == "alice"));
    }

    [Fact]
    public void The_desired_state_carries_the_stored_ciphertext_as_the_user_sealed_it()
    {
        var state = Device();

        var user = Assert.Single(DesiredStates.Build("org-1", "web-01", state, Now).Users);

        Assert.Equal(("alice", "asmith", 2), (user.UserId, user.LocalUsername, user.SecretVersion));
        Assert.Equal(Sealed(2).Ciphertext, user.Secret.Ciphertext);
        Assert.Equal(Sealed(2).EphemeralKey, user.Secret.EphemeralKey);
    }

    [Fact]
    public void An_update_of_a_user_not_bound_or_for_a_decommissioned_device_is_not_stored()
    {
        var state = Device();
        Assert.Null(UserBindingTwin.TakeUserTotp(state, "bob", DeviceTwinTests.Update(9, "Bob", TotpStatus.Enrolled, 1, Sealed(1))));

        DecommissionTwin.Decommission(state, Now);
        var before = DeviceTwinTests.Json(state);
        Assert.Null(UserBindingTwin.TakeUserTotp(state, "alice", DeviceTwinTests.Update(9, "Alice", TotpStatus.Enrolled, 3, Sealed(3))));
        Assert.Equal(before, DeviceTwinTests.Json(state));
    }

    [Fact]
    public void A_rebind_takes_the_user_s_answer_only_when_it_is_newer()
    {
        var state = Device();

        Assert.Null(UserBindingTwin.Bind(state, "alice", "asmith", DeviceTwinTests.Update(5, "Alice", TotpStatus.Enrolled, 2, Sealed(2))));
        Assert.Null(UserBindingTwin.Bind(state, "alice", "asmith", DeviceTwinTests.Update(4, "Alice", TotpStatus.NotEnrolled, 2)));
        Assert.Equal(PublishAndIndex, UserBindingTwin.Bind(state, "alice", "asmith", DeviceTwinTests.Update(7, "Alice", TotpStatus.NotEnrolled, 2)));
        Assert.Null(state.Users["alice"].Secret);
    }

    [Fact]
    public void An_agent_enrolling_after_bindings_shares_its_key_with_each_bound_user()
    {
        var state = new DeviceState();
        DeviceTwin.Register(state, new DeviceRegistration("web-01", DeviceOs.Linux, "Debian 12", null), TotpOn, Now);
        UserBindingTwin.Bind(state, "bob", "bob", DeviceTwinTests.Update(1, "Bob", TotpStatus.Enrolled, 1));
        UserBindingTwin.Bind(state, "alice", "alice", DeviceTwinTests.Update(1, "Alice", TotpStatus.Enrolled, 1));

        var effects = DeviceTwin.EnrollAgent(state, new AgentEnrollment("web-01", DeviceOs.Linux, "Debian 12", TestKeys.PublicKey, new byte[32]), TotpOn, Now);

        Assert.Equal([.. PublishAndIndex, DeviceEffect.ShareKeyWithUser("alice"), DeviceEffect.ShareKeyWithUser("bob")], effects);
    }
}
