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

    /// <summary>A user's update of <paramref name="revision"/> as the user grain sends it, without a sealed secret.</summary>
    internal static UserTotpUpdate Update(long revision, string username, TotpStatus status, int secretVersion, SealedUserSecret? secret = null) =>
        new(revision, new UserTotpState(username, status, secretVersion), secret);

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
        UserBindingTwin.Bind(state, "alice", "asmith", Update(1, "Alice", TotpStatus.NotEnrolled, 0));
        var before = state.DesiredVersion;

        var effects = UserBindingTwin.TakeUserTotp(state, "alice", Update(2, "Alice", status, secretVersion));

        Assert.Equal(bumps ? before + 1 : before, state.DesiredVersion);
        Assert.Equal(bumps ? PublishAndIndex : [], effects);
        Assert.Null(UserBindingTwin.TakeUserTotp(state, "alice", Update(2, "Alice", status, secretVersion)));
        Assert.Null(UserBindingTwin.TakeUserTotp(state, "bob", Update(3, "Bob", TotpStatus.Enrolled, 1)));
    }

    [Fact]
    public void Unbinding_tells_the_user_after_the_change_is_stored()
    {
        var state = Device();
        UserBindingTwin.Bind(state, "alice", "asmith", Update(1, "Alice", TotpStatus.Enrolled, 1));

        var effects = UserBindingTwin.Unbind(state, "alice");

        Assert.Equal([.. PublishAndIndex, DeviceEffect.ForgetUserBinding("alice")], effects);
        Assert.Throws<FleetMfaException>(() => UserBindingTwin.Unbind(state, "alice"));
    }

    [Fact]
    public void A_local_account_binds_one_user_only()
    {
        var state = Device();
        UserBindingTwin.Bind(state, "alice", "asmith", Update(1, "Alice", TotpStatus.Enrolled, 1));

        Assert.Equal(ErrorCodes.Conflict, Assert.Throws<FleetMfaException>(() => UserBindingTwin.Bind(state, "bob", "asmith", Update(1, "Bob", TotpStatus.Enrolled, 1))).Code);
        Assert.Null(UserBindingTwin.Bind(state, "alice", "asmith", Update(1, "Alice", TotpStatus.Enrolled, 1)));
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

    /// <summary>
    /// The grain at desired version 3 (MFA on, applied) hears the agent report <paramref name="reported"/>: a version
    /// ahead of its own (issued by a control plane restored from an older backup since) is adopted — the grain continues
    /// from the version after it and publishes, the status waits for that version — instead of wedging the device.
    /// </summary>
    [Theory]
    [InlineData(2, 3, 2, false, MfaStatus.Pending)]
    [InlineData(3, 3, 3, false, MfaStatus.Enabled)]
    [InlineData(4, 5, 4, true, MfaStatus.Pending)]
    [InlineData(100, 101, 100, true, MfaStatus.Pending)]
    [InlineData(DeviceReports.MaxAdoptedVersion, DeviceReports.MaxAdoptedVersion + 1, DeviceReports.MaxAdoptedVersion, true, MfaStatus.Pending)]
    [InlineData(DeviceReports.MaxAdoptedVersion + 1, 3, 3, false, MfaStatus.Enabled)]
    [InlineData(DeviceReports.MaxVersion, 3, 3, false, MfaStatus.Enabled)]
    public void A_device_ahead_of_the_grain_is_adopted_and_the_grain_continues_from_the_version_after_it(
        long reported, long desired, long applied, bool publishes, MfaStatus status)
    {
        var state = Device();
        DeviceTwin.EnableMfa(state, false, TotpOn);
        DeviceTwin.TakeReport(state, Report(state.DesiredVersion), Now);
        Assert.Equal((3, 3, MfaStatus.Enabled), (state.DesiredVersion, state.AppliedVersion, state.Status));

        var effects = DeviceTwin.TakeReport(state, Report(reported), Now.AddMinutes(1));

        Assert.Equal((desired, applied, status), (state.DesiredVersion, state.AppliedVersion, state.Status));
        Assert.Equal(publishes, effects?.Contains(DeviceEffect.PublishDesired) ?? false);
        Assert.Equal(publishes ? reported : 0, state.AdoptedVersion);
    }

    [Fact]
    public void The_versions_issued_after_the_highest_adopted_one_are_reports_the_grain_still_takes()
    {
        var state = Device();
        DeviceTwin.EnableMfa(state, false, TotpOn);
        DeviceTwin.TakeReport(state, Report(DeviceReports.MaxAdoptedVersion), Now);
        Assert.Equal(DeviceReports.MaxAdoptedVersion + 1, state.DesiredVersion);

        // The device applies what the grain published; its report of that version is taken, and it is enabled.
        var payload = JsonSerializer.SerializeToUtf8Bytes(Report(state.DesiredVersion), FleetMfa.Protocol.ProtocolJsonContext.Default.ReportedState);
        var report = DeviceReports.Parse(payload, out var problem);
        Assert.Null(problem);
        DeviceTwin.TakeReport(state, report!, Now.AddSeconds(1));
        Assert.Equal((DeviceReports.MaxAdoptedVersion + 1, MfaStatus.Enabled), (state.AppliedVersion, state.Status));

        // A report further ahead, beyond what is adopted, moves nothing.
        Assert.DoesNotContain(DeviceEffect.PublishDesired, DeviceTwin.TakeReport(state, Report(DeviceReports.MaxVersion), Now.AddSeconds(2)) ?? []);
        Assert.Equal((DeviceReports.MaxAdoptedVersion + 1, DeviceReports.MaxAdoptedVersion + 1), (state.DesiredVersion, state.AppliedVersion));
    }

    [Fact]
    public void After_an_adopted_version_the_device_is_enabled_and_a_rollout_settled_only_once_it_applies_the_version_after_it()
    {
        var state = Device();
        DeviceTwin.EnableMfa(state, false, TotpOn, Ticket);
        var awaited = state.DesiredVersion;

        // An ack of the adopted version says nothing about what this grain published.
        var effects = DeviceTwin.TakeReport(state, Report(awaited + 40), Now);
        Assert.Equal(PublishAndIndex, effects);
        Assert.Equal((awaited + 41, MfaStatus.Pending), (state.DesiredVersion, state.Status));
        Assert.Null(DeviceTwin.SettledStep(state, awaited));
        Assert.Equal(RolloutOutcome.Pending, DeviceTwin.Watch(state, Ticket, awaited, out _).Outcome);

        // A failure of a version the grain never issued fails nothing.
        DeviceTwin.TakeReport(state, Report(awaited + 40, failed: awaited + 45, reason: "x"), Now);
        Assert.Equal((MfaStatus.Pending, null), (state.Status, state.FailureReason));

        // The version after it, applied: enabled, and the rollout waiting for the earlier version is told.
        var watch = state.RolloutWatch!;
        effects = DeviceTwin.TakeReport(state, Report(awaited + 41), Now.AddSeconds(1));
        Assert.Equal([DeviceEffect.SyncIndex, DeviceEffect.NotifyRollout(watch, new RolloutStep(RolloutOutcome.Succeeded, awaited))], effects);
        Assert.Equal(MfaStatus.Enabled, state.Status);

        // The desired version only ever moves on from there.
        Assert.Equal(PublishAndIndex, DeviceTwin.DisableMfa(state));
        Assert.Equal(awaited + 42, state.DesiredVersion);
    }

    [Theory]
    [InlineData(-1, null, "negative applied version")]
    [InlineData(DeviceReports.MaxVersion + 1, null, "applied version out of range")]
    [InlineData(long.MaxValue, null, "applied version out of range")]
    [InlineData(5, 5L, "impossible failed version")]
    [InlineData(5, long.MaxValue, "impossible failed version")]
    [InlineData(1_000_000, null, null)]
    [InlineData(1_000_000, 1_000_001L, null)]
    public void A_report_is_taken_however_far_ahead_of_the_grain_up_to_the_version_range(long applied, long? failed, string? problem)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(Report(applied, failed, failed is null ? null : "x"), FleetMfa.Protocol.ProtocolJsonContext.Default.ReportedState);

        var report = DeviceReports.Parse(payload, out var refused);

        Assert.Equal(problem, refused);
        Assert.Equal(problem is null, report is not null);
    }

    internal static ReportedState Report(long applied, long? failed = null, string? reason = null) => new(
        ReportedState.CurrentSchema, applied, failed, reason, new DeviceReport("web-01", "linux", "Debian 12", true, [], null, "1.0.0", 0), [], Now);

    internal static string Json(DeviceState state) => JsonSerializer.Serialize(state);
}
