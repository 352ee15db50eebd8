using System.Net;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>Org-scoped operator keys: created with the admin key, shown once, and good for their own org.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class OperatorKeyTests(EndToEndFixture fixture)
{
    private ApiClient Admin => fixture.Silo.Admin;

    [Fact]
    public async Task The_admin_creates_an_operator_key_that_is_returned_once_with_its_id()
    {
        var org = TestIds.Unique("keys");
        await Admin.CreateOrgAsync(org);

        var created = (await Admin.PostAsync($"/api/orgs/{org}/api-keys", new { name = "ops team" })).Ok(HttpStatusCode.Created);

        Assert.Equal("ops team", (string?)created["name"]);
        var keyId = (string)created["keyId"]!;
        var key = (string)created["key"]!;
        Assert.Contains(keyId, key, StringComparison.Ordinal);
        Assert.NotNull(created["createdAt"]);
        var second = (await Admin.PostAsync($"/api/orgs/{org}/api-keys", new { name = "ops team" })).Ok(HttpStatusCode.Created);
        Assert.NotEqual(key, (string?)second["key"]);
        Assert.DoesNotContain(key, (await Admin.GetAsync($"/api/orgs/{org}")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operator_key_reads_and_writes_its_own_org()
    {
        var org = TestIds.Unique("ops");
        await Admin.CreateOrgAsync(org, totpEnabled: false);
        var ops = fixture.Silo.WithKey(await Admin.CreateOperatorKeyAsync(org));

        Assert.Equal(org, (string?)(await ops.GetAsync($"/api/orgs/{org}")).Ok()["orgId"]);
        Assert.True((bool)(await ops.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = true })).Ok()["totp"]!["enabled"]!);
        await ops.RegisterDeviceAsync(org, "ops-dev", "windows", "10.0.19045");
        Assert.Equal("pending", (string?)(await ops.EnableMfaAsync(org, "ops-dev"))["mfa"]!["status"]);
        (await ops.PatchAsync($"/api/orgs/{org}/devices/ops-dev", new { windows = new { safeModeBlockNonAdmins = false } })).Ok();
        await ops.CreateUserAsync(org, "dave");
        await ops.BindAsync(org, "ops-dev", "dave");
        var secret = await ops.StartEnrollmentAsync(org, "dave");
        await ops.ConfirmNowAsync(org, "dave", secret);

        var page = (await ops.GetAsync($"/api/orgs/{org}/devices")).Ok();
        Assert.Equal("ops-dev", (string?)Assert.Single(page["items"]!.AsArray())!["deviceId"]);
        var user = Assert.Single(await ops.WaitForTotpStatusAsync(org, "ops-dev", "dave", "enrolled"))!;
        Assert.Equal("enrolled", (string?)user["totpStatus"]);
        var device = (await Admin.GetAsync($"/api/orgs/{org}/devices/ops-dev")).Ok();
        Assert.False((bool)device["settings"]!["windows"]!["safeModeBlockNonAdmins"]!);
    }
}
