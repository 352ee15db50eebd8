using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>Two switches: TOTP is required on a device only when the org switch and the device switch are both on.</summary>
[Collection(ClusterCollection.Name)]
public class MfaSwitchTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, true)]
    public async Task Totp_is_required_only_when_the_org_and_device_switches_are_both_on(bool orgTotp, bool deviceMfa, bool required)
    {
        var orgId = await _grains.NewOrgAsync(orgTotp);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        if (deviceMfa)
        {
            await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        }

        var detail = await _grains.GetDevice(orgId, "web-01").GetAsync();

        Assert.NotNull(detail);
        Assert.Equal(deviceMfa, detail.Mfa.Desired);
        Assert.Equal(required, detail.Mfa.Required);
        Assert.Equal(required ? MfaStatus.Pending : MfaStatus.Disabled, detail.Mfa.Status);
    }

    [Fact]
    public async Task The_org_switch_reaches_a_device_that_already_has_mfa_on()
    {
        var orgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        var enabled = await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        Assert.False(enabled.Mfa.Required);

        await _grains.SwitchTotpAsync(orgId, true);
        var on = await _grains.GetDevice(orgId, "web-01").GetAsync();

        Assert.NotNull(on);
        Assert.True(on.Mfa.Required);
        Assert.Equal(MfaStatus.Pending, on.Mfa.Status);
        Assert.True(on.Mfa.DesiredVersion > enabled.Mfa.DesiredVersion);

        await _grains.SwitchTotpAsync(orgId, false);
        var off = await _grains.GetDevice(orgId, "web-01").GetAsync();

        Assert.NotNull(off);
        Assert.False(off.Mfa.Required);
        Assert.True(off.Mfa.Desired);
        Assert.True(off.Mfa.DesiredVersion > on.Mfa.DesiredVersion);
    }

    [Fact]
    public async Task The_org_switch_fans_out_to_every_shard_but_leaves_devices_with_mfa_off_alone()
    {
        var orgId = await _grains.NewOrgAsync();
        var ids = Enumerable.Range(0, 40).Select(i => $"host-{i}").ToList();
        await Task.WhenAll(ids.Select(id => _grains.RegisterLinuxAsync(orgId, id)));
        var withMfa = ids.Where((_, i) => i % 2 == 0).ToList();
        var withoutMfa = ids.Except(withMfa).ToList();
        await Task.WhenAll(withMfa.Select(id => _grains.GetDevice(orgId, id).EnableMfaAsync(force: false)));
        Assert.True(withMfa.Select(GrainKeys.DeviceShard).Distinct().Count() > 10, "the devices should span many shards");

        await _grains.SwitchTotpAsync(orgId, true);

        var details = await Task.WhenAll(ids.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(details, d => Assert.Equal(withMfa.Contains(d!.DeviceId), d.Mfa.Required));
        var summary = await _grains.GetOrg(orgId).GetSummaryAsync();
        Assert.Equal(new MfaStatusCounts(40, withoutMfa.Count, withMfa.Count, 0, 0), summary.Devices);

        await _grains.SwitchTotpAsync(orgId, false);

        details = await Task.WhenAll(ids.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(details, d => Assert.False(d!.Mfa.Required));
    }

    [Fact]
    public async Task A_device_switched_on_after_the_org_switch_is_required_at_once()
    {
        var orgId = await _grains.NewOrgAsync();
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        await _grains.GetOrg(orgId).SetTotpEnabledAsync(true);
        var before = await _grains.GetDevice(orgId, "web-01").GetAsync();
        Assert.False(before!.Mfa.Required);

        var enabled = await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);

        Assert.True(enabled.Mfa.Required);
        Assert.Equal(MfaStatus.Pending, enabled.Mfa.Status);
        Assert.True(enabled.Mfa.DesiredVersion > before.Mfa.DesiredVersion);
    }

    [Fact]
    public async Task Mfa_on_a_device_without_an_agent_stays_pending()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterAsync(orgId, "win-01", DeviceOs.Windows, "10.0.19045");

        var detail = await _grains.GetDevice(orgId, "win-01").EnableMfaAsync(force: false);

        Assert.Equal(MfaStatus.Pending, detail.Mfa.Status);
        Assert.Equal(0, detail.Mfa.AppliedVersion);
        Assert.Null(detail.Mfa.Reason);
        var row = Assert.Single((await _grains.GetDeviceDirectory(orgId).ListAsync(new DeviceQuery(null, null, null, null, 10))).Items);
        Assert.Equal(MfaStatus.Pending, row.MfaStatus);
        Assert.True(row.MfaDesired);
    }

    [Fact]
    public async Task Enabling_twice_changes_nothing_the_second_time()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");

        var first = await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);
        var second = await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);

        Assert.Equal(first.Mfa, second.Mfa with { Warnings = first.Mfa.Warnings });
    }

    [Fact]
    public async Task Disabling_turns_the_requirement_off_and_moves_the_desired_version_on()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.RegisterLinuxAsync(orgId, "web-01");
        var enabled = await _grains.GetDevice(orgId, "web-01").EnableMfaAsync(force: false);

        var disabled = await _grains.GetDevice(orgId, "web-01").DisableMfaAsync();

        Assert.False(disabled.Mfa.Desired);
        Assert.False(disabled.Mfa.Required);
        Assert.True(disabled.Mfa.DesiredVersion > enabled.Mfa.DesiredVersion);
        Assert.Equal(MfaStatus.Pending, disabled.Mfa.Status);
    }

    [Fact]
    public async Task A_report_older_than_one_already_taken_does_not_move_the_applied_version_back()
    {
        // Several silos' bridges share the reports: the agent's report of version 1 may be handled after its report of 2.
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.EnrollAgentAsync(orgId, "web-01");
        var device = _grains.GetDevice(orgId, "web-01");
        await device.EnableMfaAsync(force: false);
        var desired = (await device.GetAsync())!.Mfa.DesiredVersion;
        var sent = DateTimeOffset.UtcNow;

        await _grains.ReportAppliedAsync(orgId, "web-01", desired, sent);
        await _grains.ReportAppliedAsync(orgId, "web-01", desired - 1, sent - TimeSpan.FromSeconds(5));

        var mfa = (await device.GetAsync())!.Mfa;
        Assert.Equal((MfaStatus.Enabled, desired), (mfa.Status, mfa.AppliedVersion));

        // A later report that is behind is the truth (e.g. an agent that lost its store) and is taken.
        await _grains.ReportAppliedAsync(orgId, "web-01", desired - 1, sent + TimeSpan.FromSeconds(5));
        mfa = (await device.GetAsync())!.Mfa;
        Assert.Equal((MfaStatus.Pending, desired - 1), (mfa.Status, mfa.AppliedVersion));
    }

    [Fact]
    public async Task A_report_behind_sent_before_the_last_publish_and_delivered_late_brings_no_republish()
    {
        // Reports queue behind a burst; one the agent sent before it got the new version says nothing about the broker.
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.EnrollAgentAsync(orgId, "late-01");
        var device = _grains.GetDevice(orgId, "late-01");
        var publishedAt = fixture.Time.GetUtcNow();
        await device.EnableMfaAsync(force: false);
        var desired = (await device.GetAsync())!.Mfa.DesiredVersion;
        var published = FleetSiloConfigurator.Publisher.Count(orgId, "late-01");
        fixture.Time.Advance(TimeSpan.FromSeconds(10));

        await _grains.ReportAppliedAsync(orgId, "late-01", desired - 1, publishedAt - TimeSpan.FromSeconds(1));
        Assert.Equal(published, FleetSiloConfigurator.Publisher.Count(orgId, "late-01"));

        // Sent well after the publish and still behind: the retained message may be lost, so it goes out again.
        await _grains.ReportAppliedAsync(orgId, "late-01", desired - 1, publishedAt + TimeSpan.FromSeconds(8));
        Assert.Equal(published + 1, FleetSiloConfigurator.Publisher.Count(orgId, "late-01"));
    }

    [Fact]
    public async Task An_unregistered_device_cannot_be_switched()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);

        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetDevice(orgId, "ghost").EnableMfaAsync(force: false));
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.GetDevice(orgId, "ghost").DisableMfaAsync());
        Assert.Null(await _grains.GetDevice(orgId, "ghost").GetAsync());
    }

    [Fact]
    public async Task A_device_cannot_join_an_org_that_does_not_exist() =>
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => _grains.RegisterLinuxAsync(Fleet.NewId("org"), "web-01"));
}
