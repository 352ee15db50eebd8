using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Orgs;

[Collection(ClusterCollection.Name)]
public class OrgTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task A_new_org_has_totp_off_the_default_parameters_and_a_week_to_enroll()
    {
        var orgId = Fleet.NewId("org");

        var settings = await _grains.GetOrg(orgId).CreateOrUpdateAsync("Acme Corp");

        Assert.Equal(orgId, settings.OrgId);
        Assert.Equal("Acme Corp", settings.Name);
        Assert.False(settings.TotpEnabled);
        Assert.Equal(new TotpParameters(6, 30, "SHA1", 1), settings.Totp);
        Assert.Equal(TimeSpan.FromDays(7), settings.EnrollmentPeriod);
        Assert.Equal(fixture.Time.GetUtcNow(), settings.CreatedAt);
        Assert.Equal(settings, await _grains.GetOrg(orgId).GetAsync());
    }

    [Fact]
    public async Task Get_returns_null_for_an_org_that_was_never_created() =>
        Assert.Null(await _grains.GetOrg(Fleet.NewId("org")).GetAsync());

    [Fact]
    public async Task Putting_an_existing_org_renames_it_and_keeps_its_creation_time()
    {
        var orgId = Fleet.NewId("org");
        var created = await _grains.GetOrg(orgId).CreateOrUpdateAsync("Acme");
        await _grains.GetOrg(orgId).SetTotpEnabledAsync(true);
        fixture.Time.Advance(TimeSpan.FromHours(1));

        var renamed = await _grains.GetOrg(orgId).CreateOrUpdateAsync("  Acme Corporation ");

        Assert.Equal("Acme Corporation", renamed.Name);
        Assert.Equal(created.CreatedAt, renamed.CreatedAt);
        Assert.True(renamed.TotpEnabled);
        Assert.Equal("Acme Corporation", (await _grains.GetOrg(orgId).GetAsync())?.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Acme\nCorp")]
    public async Task A_blank_or_control_character_name_is_refused(string name) =>
        await FleetAssert.RefusedAsync(ErrorCodes.Validation, () => _grains.GetOrg(Fleet.NewId("org")).CreateOrUpdateAsync(name));

    [Fact]
    public async Task An_unknown_org_has_no_policy_summary_or_totp_switch()
    {
        var org = _grains.GetOrg(Fleet.NewId("org"));

        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, org.GetPolicyAsync);
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, org.GetSummaryAsync);
        await FleetAssert.RefusedAsync(ErrorCodes.NotFound, () => org.SetTotpEnabledAsync(true));
        Assert.Null(await org.GetAsync());
    }

    [Fact]
    public async Task The_totp_switch_moves_the_policy_version_only_when_it_changes()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);
        var initial = await org.GetPolicyAsync();

        await org.SetTotpEnabledAsync(true);
        var on = await org.GetPolicyAsync();
        await org.SetTotpEnabledAsync(true);
        var again = await org.GetPolicyAsync();

        Assert.False(initial.TotpEnabled);
        Assert.True(on.TotpEnabled);
        Assert.True(on.Version > initial.Version);
        Assert.Equal(on, again);
    }

    [Fact]
    public async Task The_enrollment_period_can_be_changed_within_limits()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);

        Assert.Equal(TimeSpan.FromDays(1), (await org.UpdateAsync(new OrgSettingsPatch(null, TimeSpan.FromDays(1)))).EnrollmentPeriod);
        await FleetAssert.RefusedAsync(ErrorCodes.Validation, () => org.UpdateAsync(new OrgSettingsPatch(null, TimeSpan.FromMinutes(1))));
        await FleetAssert.RefusedAsync(ErrorCodes.Validation, () => org.UpdateAsync(new OrgSettingsPatch(null, TimeSpan.FromDays(91))));
        Assert.Equal(TimeSpan.FromDays(1), (await org.GetAsync())?.EnrollmentPeriod);
    }

    [Fact]
    public async Task The_totp_switch_succeeds_once_stored_while_index_shards_cannot_be_reached_and_a_repeat_finishes_it()
    {
        var orgId = await _grains.NewOrgAsync();
        var org = _grains.GetOrg(orgId);
        FleetSiloConfigurator.DeviceIndex.Break(orgId);
        try
        {
            // No shard of the org can activate (its rows cannot be read): the switch is stored all the same.
            var settings = await org.SetTotpEnabledAsync(true);

            Assert.True(settings.TotpEnabled);
            Assert.True(settings.PolicyFanOut.ShardsDone < GrainKeys.DeviceIndexShards);
        }
        finally
        {
            FleetSiloConfigurator.DeviceIndex.Restore(orgId);
        }

        // What the reminder does, asked for now: the shards that had not confirmed the policy get it.
        await org.SetTotpEnabledAsync(true);
        var done = await Poll.UntilAsync(async () => (await org.GetAsync())!.PolicyFanOut, f => f.ShardsDone == GrainKeys.DeviceIndexShards, "every shard confirmed the policy");
        Assert.True((await org.GetAsync())!.TotpEnabled);
        Assert.Equal(GrainKeys.DeviceIndexShards, done.Shards);
    }
}
