using System.Net;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>What does not exist is a 404 <c>not-found</c> problem, whichever route asks.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class NotFoundTests(EndToEndFixture fixture)
{
    private ApiClient Admin => fixture.Silo.Admin;

    [Fact]
    public async Task An_unknown_org_is_not_found_for_the_admin()
    {
        var org = TestIds.Unique("ghost");

        (await Admin.GetAsync($"/api/orgs/{org}")).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = true })).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PostAsync($"/api/orgs/{org}/api-keys", new { name = "ops" })).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PutAsync($"/api/orgs/{org}/devices/dev-1", new { hostname = "dev-1", os = "linux", osVersion = "12" })).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PutAsync($"/api/orgs/{org}/users/alice", new { username = "alice" })).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task An_unknown_device_is_not_found_on_every_device_route()
    {
        var org = TestIds.Unique("nodev");
        await Admin.CreateOrgAsync(org);
        await Admin.CreateUserAsync(org, "alice");
        var device = $"/api/orgs/{org}/devices/missing";

        (await Admin.GetAsync(device)).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PatchAsync(device, new { linux = new { sshPasswordLogin = false } })).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PostAsync($"{device}/mfa/enable")).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PostAsync($"{device}/mfa/disable")).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.GetAsync($"{device}/users")).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PutAsync($"{device}/users/alice", new { localUsername = "alice" })).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.DeleteAsync($"{device}/users/alice")).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task An_unknown_user_is_not_found_on_every_user_route()
    {
        var org = TestIds.Unique("nouser");
        await Admin.CreateOrgAsync(org);
        await Admin.RegisterDeviceAsync(org, "dev-1");
        var user = $"/api/orgs/{org}/users/missing";

        (await Admin.GetAsync(user)).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PostAsync($"{user}/totp/enroll")).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PostAsync($"{user}/totp/confirm", new { code = "123456" })).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PostAsync($"{user}/totp/reset")).Problem(HttpStatusCode.NotFound, "not-found");
        (await Admin.PutAsync($"/api/orgs/{org}/devices/dev-1/users/missing", new { localUsername = "missing" })).Problem(HttpStatusCode.NotFound, "not-found");
        Assert.Empty(await Admin.GetDeviceUsersAsync(org, "dev-1"));
    }

    [Fact]
    public async Task Unbinding_a_user_who_is_not_bound_is_not_found()
    {
        var org = TestIds.Unique("unbind");
        await Admin.CreateOrgAsync(org);
        await Admin.RegisterDeviceAsync(org, "dev-1");
        await Admin.CreateUserAsync(org, "alice");

        (await Admin.DeleteAsync($"/api/orgs/{org}/devices/dev-1/users/alice")).Problem(HttpStatusCode.NotFound, "not-found");
    }
}
