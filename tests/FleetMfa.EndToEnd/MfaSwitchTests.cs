using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>The two switches of the seed: a device requires TOTP only when the org switch and its own switch are both on.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class MfaSwitchTests(EndToEndFixture fixture)
{
    private ApiClient Admin => fixture.Silo.Admin;

    [Fact]
    public async Task A_device_requires_TOTP_only_when_the_org_switch_is_on_too()
    {
        var org = TestIds.Unique("switch");
        await Admin.CreateOrgAsync(org, totpEnabled: false);
        await Admin.RegisterDeviceAsync(org, "dev-1");
        await Admin.CreateUserAsync(org, "alice");
        await Admin.BindAsync(org, "dev-1", "alice");
        await Admin.ConfirmNowAsync(org, "alice", await Admin.StartEnrollmentAsync(org, "alice"));

        var deviceOnly = await Admin.EnableMfaAsync(org, "dev-1");
        Assert.True((bool)deviceOnly["mfa"]!["desired"]!);
        Assert.False((bool)deviceOnly["mfa"]!["required"]!);
        Assert.Equal("disabled", (string?)deviceOnly["mfa"]!["status"]);
        Assert.Equal("not-required", (string?)Assert.Single(await Admin.GetDeviceUsersAsync(org, "dev-1"))!["onDevice"]);

        await Admin.SwitchTotpAsync(org, true);

        var both = (await Admin.GetAsync($"/api/orgs/{org}/devices/dev-1")).Ok();
        Assert.True((bool)both["mfa"]!["required"]!);
        Assert.Equal("pending", (string?)both["mfa"]!["status"]);
        Assert.Equal("pending", (string?)Assert.Single(await Admin.GetDeviceUsersAsync(org, "dev-1"))!["onDevice"]);

        await Admin.SwitchTotpAsync(org, false);

        var orgOff = (await Admin.GetAsync($"/api/orgs/{org}/devices/dev-1")).Ok();
        Assert.True((bool)orgOff["mfa"]!["desired"]!);
        Assert.False((bool)orgOff["mfa"]!["required"]!);
        Assert.Equal("not-required", (string?)Assert.Single(await Admin.GetDeviceUsersAsync(org, "dev-1"))!["onDevice"]);
    }

    [Fact]
    public async Task Disabling_MFA_on_a_device_stops_requiring_TOTP_there()
    {
        var org = TestIds.Unique("disable");
        await Admin.CreateOrgAsync(org);
        await Admin.RegisterDeviceAsync(org, "dev-1");
        var enabled = await Admin.EnableMfaAsync(org, "dev-1");

        var disabled = (await Admin.PostAsync($"/api/orgs/{org}/devices/dev-1/mfa/disable")).Ok();

        Assert.False((bool)disabled["mfa"]!["desired"]!);
        Assert.False((bool)disabled["mfa"]!["required"]!);
        Assert.True((long)disabled["mfa"]!["desiredVersion"]! > (long)enabled["mfa"]!["desiredVersion"]!);
        var again = (await Admin.PostAsync($"/api/orgs/{org}/devices/dev-1/mfa/disable")).Ok();
        Assert.Equal((long)disabled["mfa"]!["desiredVersion"]!, (long)again["mfa"]!["desiredVersion"]!);
    }

    [Fact]
    public async Task Enabling_twice_changes_nothing_the_second_time()
    {
        var org = TestIds.Unique("twice");
        await Admin.CreateOrgAsync(org);
        await Admin.RegisterDeviceAsync(org, "dev-1");

        var first = await Admin.EnableMfaAsync(org, "dev-1");
        var second = await Admin.EnableMfaAsync(org, "dev-1");

        Assert.Equal((long)first["mfa"]!["desiredVersion"]!, (long)second["mfa"]!["desiredVersion"]!);
    }
}
