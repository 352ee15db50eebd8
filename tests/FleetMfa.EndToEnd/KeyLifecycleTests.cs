using System.Net;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Issue 17: operator keys are listed (never their secret) and revoked; connect keys carry an optional expiry and use
/// limit and are listed with their remaining uses; every refused authentication is counted and, for an org that
/// exists, written to its audit trail.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class KeyLifecycleTests(EndToEndFixture fixture)
{
    private ApiClient Admin => fixture.Silo.Admin;

    private ApiClient Anonymous => fixture.Silo.Anonymous;

    [Fact]
    public async Task A_revoked_operator_key_is_refused_on_the_next_call_and_no_longer_listed()
    {
        var org = TestIds.Unique("revoke");
        await Admin.CreateOrgAsync(org);
        var created = (await Admin.PostAsync($"/api/orgs/{org}/api-keys", new { name = "ci", expiresInHours = 24 })).Ok(HttpStatusCode.Created);
        var (keyId, key) = ((string)created["keyId"]!, (string)created["key"]!);
        var kept = await Admin.CreateOperatorKeyAsync(org, "kept");
        var ops = fixture.Silo.WithKey(key);
        (await ops.GetAsync($"/api/orgs/{org}")).Ok();

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/orgs/{org}/api-keys/{keyId}")).Status);

        (await ops.GetAsync($"/api/orgs/{org}")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await ops.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = false })).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await fixture.Silo.WithKey(kept).GetAsync($"/api/orgs/{org}")).Ok();
        var listed = (await Admin.GetAsync($"/api/orgs/{org}/api-keys")).Ok()["items"]!.AsArray();
        Assert.Equal(["kept"], listed.Select(k => (string?)k!["name"]));
        (await Admin.DeleteAsync($"/api/orgs/{org}/api-keys/{keyId}")).Problem(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Listed_operator_keys_show_dates_and_last_use_but_never_a_secret()
    {
        var org = TestIds.Unique("listkeys");
        await Admin.CreateOrgAsync(org);
        var created = (await Admin.PostAsync($"/api/orgs/{org}/api-keys", new { name = "ops", expiresInHours = 48 })).Ok(HttpStatusCode.Created);
        var key = (string)created["key"]!;
        Assert.NotNull(created["expiresAt"]);
        (await fixture.Silo.WithKey(key).GetAsync($"/api/orgs/{org}")).Ok();

        // The use is stored by the org grain in a turn of its own, just after the call.
        var listed = await Poll.UntilAsync(
            async () => (await Admin.GetAsync($"/api/orgs/{org}/api-keys")).Ok()["items"]!.AsArray(),
            items => items.Count == 1 && items[0]!["lastUsedAt"] is not null,
            "the key's last use is listed");

        var item = listed[0]!.AsObject();
        Assert.Equal((string?)created["keyId"], (string?)item["keyId"]);
        Assert.Equal("ops", (string?)item["name"]);
        Assert.Equal((string?)created["createdAt"], (string?)item["createdAt"]);
        Assert.Equal((string?)created["expiresAt"], (string?)item["expiresAt"]);
        Assert.False((bool)item["expired"]!);
        Assert.Equal(["keyId", "name", "createdAt", "lastUsedAt", "expiresAt", "expired"], item.Select(p => p.Key));
        var body = (await Admin.GetAsync($"/api/orgs/{org}/api-keys")).Body;
        Assert.DoesNotContain(key.Split('_')[2], body, StringComparison.Ordinal);

        // Listing and revoking operator keys are the admin's, like creating them.
        (await fixture.Silo.WithKey(key).GetAsync($"/api/orgs/{org}/api-keys")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await fixture.Silo.WithKey(key).DeleteAsync($"/api/orgs/{org}/api-keys/{(string)created["keyId"]!}")).Problem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task A_connect_key_past_its_uses_is_refused_and_the_list_shows_what_is_left()
    {
        var org = TestIds.Unique("uses");
        await Admin.CreateOrgAsync(org);
        var created = (await Admin.PostAsync($"/api/orgs/{org}/connect-keys", new { name = "two laptops", maxUses = 2, expiresInHours = 24 })).Ok(HttpStatusCode.Created);
        var (keyId, key) = ((string)created["keyId"]!, (string)created["key"]!);
        Assert.Equal(2, (int?)created["maxUses"]);

        await Anonymous.EnrollDeviceAsync(key, "laptop-1");
        Assert.Equal(1, (int?)(await ConnectKeyAsync(org, keyId))["remainingUses"]);
        await Anonymous.EnrollDeviceAsync(key, "laptop-2");

        (await Anonymous.EnrollAgentAsync(key, "laptop-3")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        var listed = await ConnectKeyAsync(org, keyId);
        Assert.Equal((2, 2, 0), ((int?)listed["uses"], (int?)listed["maxUses"], (int?)listed["remainingUses"]));
        Assert.NotNull(listed["lastUsedAt"]);
        Assert.NotNull(listed["expiresAt"]);
        Assert.Equal(2, (await Admin.GetAsync($"/api/orgs/{org}/devices")).Ok()["items"]!.AsArray().Count);
        Assert.DoesNotContain(key.Split('_')[2], (await Admin.GetAsync($"/api/orgs/{org}/connect-keys")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_keys_without_limits_list_no_remaining_uses_and_operators_of_the_org_may_list_them()
    {
        var org = TestIds.Unique("nolimit");
        await Admin.CreateOrgAsync(org);
        var (keyId, key) = await Admin.CreateConnectKeyAsync(org);
        await Anonymous.EnrollDeviceAsync(key, "any-1");
        var ops = fixture.Silo.WithKey(await Admin.CreateOperatorKeyAsync(org));

        var listed = Assert.Single((await ops.GetAsync($"/api/orgs/{org}/connect-keys")).Ok()["items"]!.AsArray())!;

        Assert.Equal(keyId, (string?)listed["keyId"]);
        Assert.Null(listed["uses"]);
        Assert.Null(listed["maxUses"]);
        Assert.Null(listed["remainingUses"]);
        Assert.Null(listed["expiresAt"]);
    }

    [Theory]
    [InlineData("api-keys", """{"name":"x","expiresInHours":0}""")]
    [InlineData("api-keys", """{"name":"x","expiresInHours":-5}""")]
    [InlineData("api-keys", """{"name":"x","expiresInHours":87601}""")]
    [InlineData("api-keys", """{"name":"x","expiresInHours":1.5}""")]
    [InlineData("api-keys", """{"name":"x","expiresInHours":true}""")]
    [InlineData("connect-keys", """{"maxUses":0}""")]
    [InlineData("connect-keys", """{"maxUses":100001}""")]
    [InlineData("connect-keys", """{"expiresInHours":0}""")]
    [InlineData("connect-keys", """{"expiresInHours":99999999999}""")]
    public async Task Key_limits_that_are_not_positive_or_too_large_are_400(string route, string body)
    {
        var org = TestIds.Unique("limits");
        await Admin.CreateOrgAsync(org);

        (await Admin.PostAsync($"/api/orgs/{org}/{route}", body)).Problem(HttpStatusCode.BadRequest, "validation");

        var listed = (await Admin.GetAsync($"/api/orgs/{org}/{route}")).Ok()["items"]!.AsArray();
        Assert.Empty(listed);
    }

    [Fact]
    public async Task Refused_authentications_are_counted_and_recorded_in_the_trail_of_an_org_that_exists()
    {
        var org = TestIds.Unique("refused");
        await Admin.CreateOrgAsync(org);
        var otherOrg = TestIds.Unique("refused-other");
        await Admin.CreateOrgAsync(otherOrg);
        var key = await Admin.CreateOperatorKeyAsync(org);
        var parts = key.Split('_');
        var wrongSecret = string.Join('_', parts[0], parts[1], new string('0', 64), parts[3]);
        var before = await PrometheusText.ScrapeAsync(Admin);

        (await fixture.Silo.WithKey(wrongSecret).GetAsync($"/api/orgs/{org}/devices")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await fixture.Silo.WithKey(key).GetAsync($"/api/orgs/{otherOrg}")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await Anonymous.GetAsync($"/api/orgs/{org}")).Problem(HttpStatusCode.Unauthorized, "unauthorized");

        // The exporter caches a scrape briefly: poll until the three refusals show.
        string[][] series = [["reason=\"unauthorized\"", "credential=\"operator-key\""], ["reason=\"forbidden\""], ["credential=\"none\""]];
        await Poll.UntilAsync(
            () => PrometheusText.ScrapeAsync(Admin),
            after => series.All(labels => after.Sum("fleetmfa_auth_refusals_total", labels) >= before.Sum("fleetmfa_auth_refusals_total", labels) + 1),
            "the refusals counted in /metrics");

        var refused = Assert.Single(await Admin.ReadAuditAsync(org), r => (string?)r["action"] == "authenticate")!;
        Assert.Equal($"operator-key:{parts[1]}", (string?)refused["actor"]);
        Assert.Equal("unauthorized", (string?)refused["outcome"]);
        Assert.Contains($"GET /api/orgs/{org}/devices from 127.0.0.1", (string?)refused["detail"], StringComparison.Ordinal);
        var forbidden = Assert.Single(await Admin.ReadAuditAsync(otherOrg), r => (string?)r["action"] == "authenticate")!;
        Assert.Equal(("forbidden", $"operator-key:{parts[1]}"), ((string?)forbidden["outcome"], (string?)forbidden["actor"]));
        var trail = string.Join('\n', (await Admin.ReadAuditAsync(org)).Select(r => r.ToJsonString()));
        Assert.DoesNotContain(parts[2], trail, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('0', 64), trail, StringComparison.Ordinal);
    }

    private async Task<System.Text.Json.Nodes.JsonNode> ConnectKeyAsync(string org, string keyId) =>
        (await Admin.GetAsync($"/api/orgs/{org}/connect-keys")).Ok()["items"]!.AsArray().Single(k => (string?)k!["keyId"] == keyId)!;
}
