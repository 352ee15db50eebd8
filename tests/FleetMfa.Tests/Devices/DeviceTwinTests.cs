using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Protocol.Documents;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// <see cref="DeviceTwin"/>'s decisions, without a cluster: each command's new state and effects, table by table.
/// The invariants over any sequence of commands are in <see cref="DeviceTwinPropertyTests"/>.
/// </summary>
public sealed class DeviceTwinTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TotpParameters Totp = new(6, 30, "SHA1", 1);
    private static readonly OrgPolicy TotpOn = new(true, Totp, 2);
    private static readonly RolloutTicket Ticket = new("r-1", 3, RolloutAction.EnableMfa, false);

    private static readonly DeviceEffect[] PublishAndIndex = [DeviceEffect.SyncIndex, DeviceEffect.PublishDesired];

    /// <summary>A Linux device with an agent, public-key SSH, the org's TOTP on, MFA off, desired version 1 applied.</summary>
    internal static DeviceState Device(OrgPolicy? policy = null)
    {
        var state = new DeviceState();
        DeviceTwin.EnrollAgent(state, new AgentEnrollment("web-01", DeviceOs.Linux, "Debian 12", TestKeys.PublicKey, new byte[32]), policy ?? TotpOn, Now);
        DeviceTwin.UpdateSettings(state, new DeviceSettingsPatch(false, true, null, null));
        state.AppliedVersion = state.DesiredVersion;
        return state;
    }

    [Fact]
    public void Enabling_moves_the_desired_version_on_and_the_status_waits_for_the_agent()
    {
        var state = Device();
        var before = state.DesiredVersion;

        var effects = DeviceTwin.EnableMfa(state, force: false, TotpOn);

        Assert.Equal(PublishAndIndex, effects);
        Assert.Equal((before + 1, before + 1, MfaStatus.Pending), (state.DesiredVersion, state.MfaChangeVersion, state.Status));
        Assert.Null(DeviceTwin.EnableMfa(state, force: false, TotpOn));
        Assert.Equal(before + 1, state.DesiredVersion);
    }

    [Fact]
    public void An_OS_rule_refuses_before_anything_changes()
    {
        var state = Device();
        DeviceTwin.UpdateSettings(state, new DeviceSettingsPatch(true, true, null, null));
        var before = Json(state);

        var refusal = Assert.Throws<FleetMfaException>(() => DeviceTwin.EnableMfa(state, force: false, TotpOn));

        Assert.Equal(ErrorCodes.LinuxSshConflict, refusal.Code);
        Assert.Equal(before, Json(state));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void An_org_policy_moves_the_version_on_only_when_it_changes_what_the_device_enforces(bool mfaOn, bool parametersChange)
    {
        var state = Device();
        if (mfaOn)
        {
            DeviceTwin.EnableMfa(state, false, TotpOn);
        }

        var before = state.DesiredVersion;
        var newer = parametersChange ? new OrgPolicy(true, Totp with { Digits = 8 }, 3) : TotpOn with { Version = 3 };

        var effects = DeviceTwin.TakePolicy(state, newer);

        Assert.Equal(before + (mfaOn && parametersChange ? 1 : 0), state.DesiredVersion);
        Assert.Equal(mfaOn && parametersChange ? PublishAndIndex : [DeviceEffect.SyncIndex], effects);
        Assert.Null(DeviceTwin.TakePolicy(state, newer));
    }

    [Fact]
    public void Switching_the_org_off_flips_required_and_the_status_waits_for_that_version()
    {
        var state = Device();
        DeviceTwin.EnableMfa(state, false, TotpOn);
        state.AppliedVersion = state.DesiredVersion;
        Assert.Equal(MfaStatus.Enabled, state.Status);

        DeviceTwin.TakePolicy(state, TotpOn with { TotpEnabled = false, Version = 3 });

        Assert.Equal((state.DesiredVersion, MfaStatus.Pending), (state.MfaChangeVersion, state.Status));
        state.AppliedVersion = state.DesiredVersion;
        Assert.Equal(MfaStatus.Disabled, state.Status);
    }

    [Theory]
    [InlineData(TotpStatus.PendingSetup, 1, false)]
    [InlineData(TotpStatus.Enrolled, 1, true)]
    public void A_user_s_enrollment_changes_the_device_only_once_it_is_complete(TotpStatus status, int secretVersion, bool bumps)
    {
        var state = Device();
        DeviceTwin.Bind(state, "alice", "asmith", new UserTotpState("Alice", TotpStatus.NotEnrolled, 0));
        var before = state.DesiredVersion;

        var effects = DeviceTwin.TakeUserTotp(state, [("alice", new UserTotpState("Alice", status, secretVersion))]);

        Assert.Equal(bumps ? before + 1 : before, state.DesiredVersion);
        Assert.Equal(bumps ? PublishAndIndex : [], effects);
        Assert.Null(DeviceTwin.TakeUserTotp(state, [("alice", new UserTotpState("Alice", status, secretVersion))]));
        Assert.Null(DeviceTwin.TakeUserTotp(state, [("bob", new UserTotpState("Bob", TotpStatus.Enrolled, 1))]));
    }

    [Fact]
    public void Unbinding_tells_the_user_after_the_change_is_stored()
    {
        var state = Device();
        DeviceTwin.Bind(state, "alice", "asmith", new UserTotpState("Alice", TotpStatus.Enrolled, 1));

        var effects = DeviceTwin.Unbind(state, "alice");

        Assert.Equal([.. PublishAndIndex, DeviceEffect.ForgetUserBinding("alice")], effects);
        Assert.Throws<FleetMfaException>(() => DeviceTwin.Unbind(state, "alice"));
    }

    [Fact]
    public void A_local_account_binds_one_user_only()
    {
        var state = Device();
        DeviceTwin.Bind(state, "alice", "asmith", new UserTotpState("Alice", TotpStatus.Enrolled, 1));

        Assert.Equal(ErrorCodes.Conflict, Assert.Throws<FleetMfaException>(() => DeviceTwin.Bind(state, "bob", "asmith", new UserTotpState("Bob", TotpStatus.Enrolled, 1))).Code);
        Assert.Null(DeviceTwin.Bind(state, "alice", "asmith", new UserTotpState("Alice", TotpStatus.Enrolled, 1)));
    }

    [Fact]
    public void A_rollout_is_told_after_the_index_once_the_agent_applies_its_version()
    {
        var state = Device();
        DeviceTwin.EnableMfa(state, false, TotpOn, Ticket);
        var watch = Assert.IsType<RolloutWatch>(state.RolloutWatch);

        var effects = DeviceTwin.TakeReport(state, Report(state.DesiredVersion), Now);

        Assert.Equal([DeviceEffect.SyncIndex, DeviceEffect.NotifyRollout(watch, new RolloutStep(RolloutOutcome.Succeeded, watch.Version))], effects);
        Assert.Null(state.RolloutWatch);
        Assert.Equal(MfaStatus.Enabled, state.Status);
    }

    [Fact]
    public void A_failure_of_the_current_version_fails_the_device_and_settles_the_rollout_as_failed()
    {
        var state = Device();
        DeviceTwin.EnableMfa(state, false, TotpOn, Ticket);

        var effects = DeviceTwin.TakeReport(state, Report(state.DesiredVersion - 1, failed: state.DesiredVersion, reason: "ssh-policy-not-effective: x"), Now);

        Assert.Equal((MfaStatus.Failed, "ssh-policy-not-effective: x"), (state.Status, state.Reason));
        var notify = Assert.Single(effects!, e => e.Kind == DeviceEffectKind.NotifyRollout);
        Assert.Equal((RolloutOutcome.Failed, ErrorCodes.AgentError), (notify.Step!.Outcome, notify.Step.Code));
    }

    [Fact]
    public void A_report_that_changes_nothing_stored_stores_nothing()
    {
        var state = Device();
        DeviceTwin.TakeReport(state, Report(state.DesiredVersion), Now);

        Assert.Null(DeviceTwin.TakeReport(state, Report(state.DesiredVersion), Now.AddMinutes(5)));
    }

    [Fact]
    public void A_rollout_waiting_for_a_newer_version_is_not_displaced_by_an_older_one()
    {
        var state = Device();
        DeviceTwin.EnableMfa(state, false, TotpOn, Ticket with { RolloutId = "r-newer" });

        var step = DeviceTwin.Watch(state, Ticket, state.DesiredVersion - 1, out var effects);

        Assert.Equal(RolloutOutcome.Succeeded, step.Outcome);
        Assert.Null(effects);
        var pending = DeviceTwin.Watch(state, Ticket, state.DesiredVersion, out effects);
        Assert.Equal(RolloutOutcome.Pending, pending.Outcome);
        Assert.Null(effects);
        Assert.Equal("r-newer", state.RolloutWatch!.RolloutId);
    }

    internal static ReportedState Report(long applied, long? failed = null, string? reason = null) => new(
        ReportedState.CurrentSchema, applied, failed, reason, new DeviceReport("web-01", "linux", "Debian 12", true, [], null, "1.0.0", 0), [], Now);

    internal static string Json(DeviceState state) => JsonSerializer.Serialize(state);
}
