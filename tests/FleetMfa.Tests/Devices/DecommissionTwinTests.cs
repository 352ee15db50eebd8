using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Protocol.Documents;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary><see cref="DecommissionTwin"/>'s decisions, without a cluster: the record, the wipe, the revocation and the end.</summary>
public sealed class DecommissionTwinTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);
    private static readonly OrgPolicy TotpOn = new(true, new TotpParameters(6, 30, "SHA1", 1), 2);
    private static readonly UserTotpUpdate Enrolled = new(1, new UserTotpState("alice", TotpStatus.Enrolled, 1), null);

    /// <summary>A Linux device with MFA on and alice bound and enrolled, its version applied.</summary>
    private static DeviceState Device()
    {
        var state = DeviceTwinTests.Device(TotpOn);
        DeviceTwin.EnableMfa(state, force: false, TotpOn);
        UserBindingTwin.Bind(state, "alice", "alice", Enrolled);
        state.AppliedVersion = state.DesiredVersion;
        return state;
    }

    private static ReportedState Wiped(long version) => DeviceTwinTests.Report(version) with { Wiped = true };

    [Fact]
    public void Decommissioning_stores_the_record_and_publishes_one_last_version_that_asks_for_the_wipe()
    {
        var state = Device();
        var version = state.DesiredVersion;

        var effects = DecommissionTwin.Decommission(state, Now);

        Assert.Equal([DeviceEffect.SyncIndex, DeviceEffect.PublishDesired, DeviceEffect.ArmDecommissionReminder], effects);
        Assert.Equal(new DeviceDecommission(Now, version + 1, false, null), state.Decommission);
        Assert.Equal(version + 1, state.DesiredVersion);
        Assert.NotNull(state.MqttPasswordHash);

        var desired = DesiredStates.Build("org-1", "web-01", state, Now);
        Assert.Equal((true, false, 0, version + 1), (desired.Decommission, desired.Mfa, desired.Users.Count, desired.Version));
        Assert.Empty(DesiredStates.Prompted(state));
    }

    [Fact]
    public void Decommissioning_again_changes_nothing_and_keeps_the_first_record()
    {
        var state = Device();
        DecommissionTwin.Decommission(state, Now);
        var before = DeviceTwinTests.Json(state);

        Assert.Null(DecommissionTwin.Decommission(state, Now.AddMinutes(5)));
        Assert.Equal(before, DeviceTwinTests.Json(state));
        Assert.Equal(Now, state.Decommission!.At);
    }

    [Fact]
    public void A_device_that_was_never_registered_cannot_be_decommissioned()
    {
        var refusal = Assert.Throws<FleetMfaException>(() => DecommissionTwin.Decommission(new DeviceState(), Now));
        Assert.Equal(ErrorCodes.NotFound, refusal.Code);
    }

    [Fact]
    public void A_device_without_an_agent_is_revoked_at_once()
    {
        var state = new DeviceState();
        DeviceTwin.Register(state, new DeviceRegistration("web-02", DeviceOs.Linux, "Debian 12", null), TotpOn, Now);

        var effects = DecommissionTwin.Decommission(state, Now)!;

        Assert.DoesNotContain(DeviceEffect.PublishDesired, effects);
        Assert.Contains(DeviceEffect.RevokeAccess([]), effects);
        Assert.Equal(Now, state.Decommission!.RevokedAt);
    }

    [Fact]
    public void Every_report_but_the_wipe_acknowledgement_is_ignored()
    {
        var state = Device();
        DecommissionTwin.Decommission(state, Now);
        var before = DeviceTwinTests.Json(state);

        Assert.Null(DecommissionTwin.TakeWipeReport(state, DeviceTwinTests.Report(state.DesiredVersion), Now));
        Assert.Null(DecommissionTwin.TakeWipeReport(state, DeviceTwinTests.Report(state.DesiredVersion - 1, failed: state.DesiredVersion, reason: "x"), Now));

        // A wipe of an older version is not this decommission's.
        Assert.Null(DecommissionTwin.TakeWipeReport(state, Wiped(state.DesiredVersion - 1), Now));
        Assert.Equal(before, DeviceTwinTests.Json(state));
    }

    [Fact]
    public void The_wipe_acknowledgement_revokes_the_device_and_unbinds_its_users()
    {
        var state = Device();
        var current = new DeviceCertificate("0A1B", [1], Now.AddDays(30));
        var previous = new DeviceCertificate("0C2D", [1], Now.AddDays(10));
        (state.Certificate, state.PreviousCertificate) = (current, previous);
        DecommissionTwin.Decommission(state, Now);

        var effects = DecommissionTwin.TakeWipeReport(state, Wiped(state.DesiredVersion), Now.AddSeconds(5));

        Assert.Equal(
            [DeviceEffect.RevokeAccess([current, previous]), DeviceEffect.ClearRetained, DeviceEffect.SyncIndex, DeviceEffect.ForgetUserBinding("alice"), DeviceEffect.ArmDecommissionReminder],
            effects);
        Assert.Equal(new DeviceDecommission(Now, state.DesiredVersion, true, Now.AddSeconds(5)), state.Decommission);
        Assert.Null(state.MqttPasswordHash);
        Assert.Null(state.Certificate);
        Assert.Null(state.PreviousCertificate);
        Assert.Equal(["0A1B", "0C2D"], effects![0].Certificates!.Select(c => c.Serial));
        Assert.Empty(state.Users);
        Assert.True(state.Revoked);

        // Revoked once: a repeated acknowledgement, or the grace check, changes nothing.
        Assert.Null(DecommissionTwin.TakeWipeReport(state, Wiped(state.DesiredVersion), Now.AddSeconds(6)));
        Assert.Null(DecommissionTwin.RevokeAfterGrace(state, Now.AddHours(1), Grace));
    }

    [Fact]
    public void Without_an_acknowledgement_the_device_is_revoked_when_its_grace_period_ends()
    {
        var state = Device();
        DecommissionTwin.Decommission(state, Now);

        Assert.Null(DecommissionTwin.RevokeAfterGrace(state, Now + Grace - TimeSpan.FromTicks(1), Grace));
        Assert.Null(state.Decommission!.RevokedAt);

        var effects = DecommissionTwin.RevokeAfterGrace(state, Now + Grace, Grace);

        Assert.Contains(effects!, e => e.Kind == DeviceEffectKind.RevokeAccess);
        Assert.Contains(DeviceEffect.ClearRetained, effects!);
        Assert.Equal(new DeviceDecommission(Now, state.DesiredVersion, false, Now + Grace), state.Decommission);
        Assert.Null(state.MqttPasswordHash);

        // A wipe acknowledged after the revocation no longer counts.
        Assert.Null(DecommissionTwin.TakeWipeReport(state, Wiped(state.DesiredVersion), Now + Grace + Grace));
        Assert.False(state.Decommission!.WipeAcknowledged);
    }

    [Fact]
    public void A_decommissioned_device_seals_nothing_binds_nobody_and_takes_no_change()
    {
        var state = Device();
        DecommissionTwin.Decommission(state, Now);
        var before = DeviceTwinTests.Json(state);

        foreach (var change in new Action[]
        {
            () => UserBindingTwin.Bind(state, "bob", "bob", Enrolled with { State = Enrolled.State with { Username = "bob" } }),
            () => UserBindingTwin.Unbind(state, "alice"),
            () => DeviceTwin.EnableMfa(state, force: true, TotpOn),
            () => DeviceTwin.DisableMfa(state),
            () => DeviceTwin.UpdateSettings(state, new DeviceSettingsPatch(true, false, null, null)),
            () => DeviceTwin.Register(state, new DeviceRegistration("web-01", DeviceOs.Linux, "Debian 12", null), TotpOn, Now),
            () => DeviceTwin.EnrollAgent(state, new AgentEnrollment("web-01", DeviceOs.Linux, "Debian 12", TestKeys.PublicKey, new byte[32]), TotpOn, Now),
        })
        {
            Assert.Equal(ErrorCodes.DeviceDecommissioned, Assert.Throws<FleetMfaException>(change).Code);
        }

        Assert.Null(DeviceTwin.TakePolicy(state, TotpOn with { TotpEnabled = false, Version = 3 }));
        Assert.Null(UserBindingTwin.TakeUserTotp(state, "alice", new UserTotpUpdate(2, Enrolled.State with { SecretVersion = 2 }, null)));
        Assert.Empty(DesiredStates.Prompted(state));
        Assert.Equal(before, DeviceTwinTests.Json(state));
        Assert.Equal((RolloutOutcome.Failed, ErrorCodes.DeviceDecommissioned), (DeviceTwin.SettledStep(state, state.DesiredVersion)!.Outcome, DeviceTwin.SettledStep(state, state.DesiredVersion)!.Code));
    }

    [Fact]
    public void A_waiting_rollout_is_told_the_device_failed()
    {
        var state = DeviceTwinTests.Device(TotpOn);
        var ticket = new RolloutTicket("r-1", 3, RolloutAction.EnableMfa, false);
        DeviceTwin.EnableMfa(state, force: false, TotpOn, ticket);

        var effects = DecommissionTwin.Decommission(state, Now)!;

        var notify = Assert.Single(effects, e => e.Kind == DeviceEffectKind.NotifyRollout);
        Assert.Equal((RolloutOutcome.Failed, ErrorCodes.DeviceDecommissioned), (notify.Step!.Outcome, notify.Step.Code));
        Assert.Null(state.RolloutWatch);
    }

    [Fact]
    public void The_record_expires_after_the_retention()
    {
        var state = Device();
        Assert.False(DecommissionTwin.IsExpired(state, Now + Retention + Retention, Retention));

        DecommissionTwin.Decommission(state, Now);

        Assert.False(DecommissionTwin.IsExpired(state, Now + Retention - TimeSpan.FromTicks(1), Retention));
        Assert.True(DecommissionTwin.IsExpired(state, Now + Retention, Retention));
    }
}
