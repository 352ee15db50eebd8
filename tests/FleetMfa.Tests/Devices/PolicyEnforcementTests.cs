using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Protocol;
using FleetMfa.Protocol.Documents;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// What the agent's policy check reports reaches the device: a policy that is not in effect makes the device
/// <c>failed</c> with the agent's reason (never <c>enabled</c>), a repaired drift shows in <c>mfa.reason</c>, and the
/// agent's policy events become audit records of their own.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PolicyEnforcementTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task A_policy_not_in_effect_makes_the_device_failed_until_a_report_without_it()
    {
        var (orgId, device) = await EnabledDeviceAsync("drift-01");
        var problem = "policy-drift-unrepairable: sshd's effective configuration is not the policy";

        await _grains.ReportEnforcementAsync(orgId, "drift-01", new PolicyEnforcement(PolicyEnforcementStatus.NotEffective, problem, DateTimeOffset.UtcNow));

        var detail = (await device.GetAsync())!;
        Assert.Equal((MfaStatus.Failed, problem), (detail.Mfa.Status, detail.Mfa.Reason));
        var page = await Poll.UntilAsync(
            () => _grains.GetGrain<IDeviceDirectoryGrain>(orgId).ListAsync(new DeviceQuery(null, MfaStatus.Failed, null, null, 10)), p => p.Items.Count == 1, "the failed row");
        Assert.Equal(("drift-01", problem), (page.Items[0].DeviceId, page.Items[0].MfaReason));

        await _grains.ReportEnforcementAsync(orgId, "drift-01", null);

        detail = (await device.GetAsync())!;
        Assert.Equal((MfaStatus.Enabled, (string?)null), (detail.Mfa.Status, detail.Mfa.Reason));
    }

    [Fact]
    public async Task A_repaired_drift_is_shown_and_the_device_stays_enabled()
    {
        var (orgId, device) = await EnabledDeviceAsync("drift-02");
        var repair = "policy-drift-repaired: /etc/ssh/sshd_config.d/00-fleetmfa.conf had changed or was deleted and was rewritten";

        await _grains.ReportEnforcementAsync(orgId, "drift-02", new PolicyEnforcement(PolicyEnforcementStatus.Repaired, repair, DateTimeOffset.UtcNow));

        var mfa = (await device.GetAsync())!.Mfa;
        Assert.Equal((MfaStatus.Enabled, repair), (mfa.Status, mfa.Reason));
    }

    [Theory]
    [InlineData("")]
    [InlineData("line\nbreak")]
    public async Task A_report_with_a_malformed_enforcement_is_dropped(string detail)
    {
        var (orgId, device) = await EnabledDeviceAsync($"drift-bad-{detail.Length}");
        var deviceId = (await device.GetAsync())!.DeviceId;

        await _grains.ReportEnforcementAsync(orgId, deviceId, new PolicyEnforcement(PolicyEnforcementStatus.NotEffective, detail, DateTimeOffset.UtcNow));

        Assert.Equal(MfaStatus.Enabled, (await device.GetAsync())!.Mfa.Status);
    }

    [Fact]
    public async Task Policy_events_become_audit_records_of_the_device_and_malformed_ones_are_dropped()
    {
        var (orgId, device) = await EnabledDeviceAsync("drift-03");
        var now = fixture.Time.GetUtcNow();
        var batch = new AuditEventBatch(AuditEventBatch.CurrentSchema,
        [
            new AuditEvent("p-repaired", now, AuditOutcome.Repaired, null, null, AuditActions.PolicyDriftRepaired, "policy-drift-repaired: /etc/pam.d/sshd had changed"),
            new AuditEvent("p-failed", now, AuditOutcome.Unrepairable, null, null, AuditActions.PolicyDriftUnrepairable, "policy-drift-unrepairable: no Include"),
            new AuditEvent("p-mismatch", now, AuditOutcome.Accepted, null, null, AuditActions.PolicyDriftRepaired, "x"),
            new AuditEvent("p-user", now, AuditOutcome.Repaired, "root", null, AuditActions.PolicyDriftRepaired, "x"),
            new AuditEvent("p-no-detail", now, AuditOutcome.Repaired, null, null, AuditActions.PolicyDriftRepaired),
            new AuditEvent("p-control", now, AuditOutcome.Repaired, null, null, AuditActions.PolicyDriftRepaired, "a\u0007b"),
            new AuditEvent("p-unknown", now, AuditOutcome.Repaired, null, null, "format-disk", "x"),
            new AuditEvent("l-detail", now, AuditOutcome.Accepted, "asmith", null, AuditActions.Login, "x"),
            new AuditEvent("l-no-user", now, AuditOutcome.Accepted, null, null),
        ]);

        await device.UploadAuditAsync(JsonSerializer.SerializeToUtf8Bytes(batch, ProtocolJsonContext.Default.AuditEventBatch));

        var records = FleetSiloConfigurator.AuditLog.All(orgId).ToDictionary(r => r.Id.Split(':')[2]);
        Assert.Equal(["p-failed", "p-repaired"], records.Keys.Order());
        Assert.Equal(
            (AuditActions.PolicyDriftRepaired, "repaired", "device:drift-03", (string?)null, "policy-drift-repaired: /etc/pam.d/sshd had changed"),
            (records["p-repaired"].Action, records["p-repaired"].Outcome, records["p-repaired"].Target, records["p-repaired"].LocalUsername, records["p-repaired"].Detail));
        Assert.Equal((AuditActions.PolicyDriftUnrepairable, "unrepairable"), (records["p-failed"].Action, records["p-failed"].Outcome));
    }

    [Fact]
    public async Task An_untrusted_desired_state_the_agent_refused_becomes_an_audit_record_of_the_device()
    {
        var (orgId, device) = await EnabledDeviceAsync("untrusted-01");
        var now = fixture.Time.GetUtcNow();
        var batch = new AuditEventBatch(AuditEventBatch.CurrentSchema,
        [
            new AuditEvent("u-refused", now, AuditOutcome.Refused, null, null, AuditActions.UntrustedDesiredState, "bad-signature"),
            new AuditEvent("u-outcome", now, AuditOutcome.Accepted, null, null, AuditActions.UntrustedDesiredState, "bad-signature"),
            new AuditEvent("u-user", now, AuditOutcome.Refused, "root", null, AuditActions.UntrustedDesiredState, "bad-signature"),
            new AuditEvent("u-no-detail", now, AuditOutcome.Refused, null, null, AuditActions.UntrustedDesiredState),
            new AuditEvent("l-refused", now, AuditOutcome.Refused, "asmith", null, AuditActions.Login),
        ]);

        await device.UploadAuditAsync(JsonSerializer.SerializeToUtf8Bytes(batch, ProtocolJsonContext.Default.AuditEventBatch));

        var record = Assert.Single(FleetSiloConfigurator.AuditLog.All(orgId));
        Assert.Equal(
            ("u-refused", AuditActions.UntrustedDesiredState, "refused", "device:untrusted-01", (string?)null, (string?)null, "bad-signature"),
            (record.Id.Split(':')[2], record.Action, record.Outcome, record.Target, record.LocalUsername, record.UserId, record.Detail));
        Assert.Equal(MfaStatus.Enabled, (await device.GetAsync())!.Mfa.Status);
    }

    private async Task<(string OrgId, IDeviceGrain Device)> EnabledDeviceAsync(string deviceId)
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.EnrollAgentAsync(orgId, deviceId);
        var device = _grains.GetDevice(orgId, deviceId);
        await device.EnableMfaAsync(force: false);
        await _grains.AckAsync(orgId, deviceId);
        Assert.Equal(MfaStatus.Enabled, (await device.GetAsync())!.Mfa.Status);
        return (orgId, device);
    }
}
