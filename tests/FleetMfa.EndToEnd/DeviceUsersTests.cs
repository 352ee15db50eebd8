using System.Net;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>Users bound to a device, and the TOTP status of each on that device.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DeviceUsersTests(EndToEndFixture fixture)
{
    private ApiClient Admin => fixture.Silo.Admin;

    [Fact]
    public async Task Users_are_bound_and_unbound_and_each_shows_its_own_TOTP_status()
    {
        var org = TestIds.Unique("bind");
        await Admin.CreateOrgAsync(org);
        await Admin.RegisterDeviceAsync(org, "dev-1");
        await Admin.EnableMfaAsync(org, "dev-1");
        await Admin.CreateUserAsync(org, "alice");
        await Admin.CreateUserAsync(org, "bob");
        await Admin.CreateUserAsync(org, "carol");
        await Admin.BindAsync(org, "dev-1", "alice");
        await Admin.BindAsync(org, "dev-1", "bob");
        await Admin.BindAsync(org, "dev-1", "carol");
        await Admin.ConfirmNowAsync(org, "alice", await Admin.StartEnrollmentAsync(org, "alice"));
        await Admin.StartEnrollmentAsync(org, "bob");

        await Admin.WaitForTotpStatusAsync(org, "dev-1", "alice", "enrolled");
        var users = await Admin.WaitForTotpStatusAsync(org, "dev-1", "bob", "pending-setup");
        Assert.Equal(["alice", "bob", "carol"], users.Select(u => (string?)u!["userId"]));
        Assert.Equal(["enrolled", "pending-setup", "not-enrolled"], users.Select(u => (string?)u!["totpStatus"]));
        Assert.Equal(["pending", "not-required", "not-required"], users.Select(u => (string?)u!["onDevice"]));

        (await Admin.PutAsync($"/api/orgs/{org}/devices/dev-1/users/carol", new { localUsername = "alice" })).Problem(HttpStatusCode.Conflict, "conflict");
        var unbound = await Admin.DeleteAsync($"/api/orgs/{org}/devices/dev-1/users/alice");
        Assert.Equal(HttpStatusCode.NoContent, unbound.Status);

        Assert.Equal(["bob", "carol"], (await Admin.GetDeviceUsersAsync(org, "dev-1")).Select(u => (string?)u!["userId"]));
        Assert.Empty((await Admin.GetAsync($"/api/orgs/{org}/users/alice")).Ok()["devices"]!.AsArray());
    }

    [Fact]
    public async Task Reading_a_devices_users_does_not_move_its_desired_state_on()
    {
        var org = TestIds.Unique("readonly");
        await Admin.CreateOrgAsync(org);
        await Admin.RegisterDeviceAsync(org, "dev-1");
        await Admin.EnableMfaAsync(org, "dev-1");
        await Admin.CreateUserAsync(org, "bob");
        await Admin.BindAsync(org, "dev-1", "bob");
        await Admin.StartEnrollmentAsync(org, "bob");
        await Admin.WaitForTotpStatusAsync(org, "dev-1", "bob", "pending-setup");
        var before = (await Admin.GetAsync($"/api/orgs/{org}/devices/dev-1")).Ok();

        var users = await Admin.GetDeviceUsersAsync(org, "dev-1");

        Assert.Equal("pending-setup", (string?)Assert.Single(users)!["totpStatus"]);
        var after = (await Admin.GetAsync($"/api/orgs/{org}/devices/dev-1")).Ok();
        Assert.True(
            (long)before["mfa"]!["desiredVersion"]! == (long)after["mfa"]!["desiredVersion"]!,
            $"GET .../devices/dev-1/users moved desiredVersion from {before["mfa"]!["desiredVersion"]} to {after["mfa"]!["desiredVersion"]}, though a user in pending setup is not prompted on the device either way.");
    }
}
