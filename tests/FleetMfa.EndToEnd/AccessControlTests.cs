using System.Net;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>Bearer keys: none or a bad one is 401; an operator key never opens another org or an admin-only route (403).</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class AccessControlTests(EndToEndFixture fixture) : IAsyncLifetime
{
    // Nothing here may change either org: the tests share them and check that refused writes left them as they were.
    private static readonly OncePerSilo<(string OrgA, string OrgB, string KeyA)> SharedOrgs = new(async silo =>
    {
        var admin = silo.Admin;
        var orgA = TestIds.Unique("orga");
        var orgB = TestIds.Unique("orgb");
        await admin.CreateOrgAsync(orgA);
        await admin.CreateOrgAsync(orgB);
        await admin.RegisterDeviceAsync(orgB, "b-dev");
        await admin.CreateUserAsync(orgB, "b-user");
        return (orgA, orgB, await admin.CreateOperatorKeyAsync(orgA));
    });

    private string _orgA = "";
    private string _orgB = "";
    private string _keyA = "";

    private ApiClient Admin => fixture.Silo.Admin;

    private ApiClient OperatorA => fixture.Silo.WithKey(_keyA);

    public async Task InitializeAsync() => (_orgA, _orgB, _keyA) = await SharedOrgs.GetAsync(fixture.Silo);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_request_without_a_key_is_unauthorized()
    {
        var response = await fixture.Silo.Anonymous.GetAsync($"/api/orgs/{_orgA}");

        response.Problem(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("Bearer", response.WwwAuthenticate ?? "", StringComparison.Ordinal);
        (await fixture.Silo.Anonymous.PutAsync($"/api/orgs/{_orgA}/devices/x", new { hostname = "x", os = "linux", osVersion = "12" }))
            .Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await fixture.Silo.Anonymous.GetAsync($"/api/orgs/{_orgA}/devices")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("fma_0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("fmk_0123456789abcdef_0000000000000000000000000000000000000000000000000000000000000000_{orgA}")]
    public async Task A_request_with_an_invalid_key_is_unauthorized(string key)
    {
        var api = fixture.Silo.WithKey(key.Replace("{orgA}", _orgA, StringComparison.Ordinal));

        (await api.GetAsync($"/api/orgs/{_orgA}")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        (await api.PostAsync($"/api/orgs/{_orgA}/devices/x/mfa/enable")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_tampered_operator_key_is_unauthorized()
    {
        var tampered = string.Concat(_keyA.AsSpan(0, 25), _keyA[25] == '0' ? "1" : "0", _keyA.AsSpan(26));

        (await fixture.Silo.WithKey(tampered).GetAsync($"/api/orgs/{_orgA}")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task An_operator_key_of_org_A_cannot_read_org_B()
    {
        (await OperatorA.GetAsync($"/api/orgs/{_orgB}")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.GetAsync($"/api/orgs/{_orgB}/devices")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.GetAsync($"/api/orgs/{_orgB}/devices/b-dev")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.GetAsync($"/api/orgs/{_orgB}/devices/b-dev/users")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.GetAsync($"/api/orgs/{_orgB}/users/b-user")).Problem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task An_operator_key_of_org_A_cannot_change_org_B()
    {
        (await OperatorA.PutAsync($"/api/orgs/{_orgB}/mfa/totp", new { enabled = false })).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.PutAsync($"/api/orgs/{_orgB}/devices/intruder", new { hostname = "intruder", os = "linux", osVersion = "12" }))
            .Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.PostAsync($"/api/orgs/{_orgB}/devices/b-dev/mfa/enable")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.PostAsync($"/api/orgs/{_orgB}/users/b-user/totp/enroll")).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.DeleteAsync($"/api/orgs/{_orgB}/devices/b-dev/users/b-user")).Problem(HttpStatusCode.Forbidden, "forbidden");

        (await Admin.GetAsync($"/api/orgs/{_orgB}/devices/intruder")).Problem(HttpStatusCode.NotFound, "not-found");
        var device = (await Admin.GetAsync($"/api/orgs/{_orgB}/devices/b-dev")).Ok();
        Assert.False((bool)device["mfa"]!["desired"]!);
        Assert.True((bool)(await Admin.GetAsync($"/api/orgs/{_orgB}")).Ok()["totp"]!["enabled"]!);
        Assert.Equal("not-enrolled", (string?)(await Admin.GetAsync($"/api/orgs/{_orgB}/users/b-user")).Ok()["totpStatus"]);
    }

    [Fact]
    public async Task An_operator_key_cannot_use_the_admin_only_routes_even_on_its_own_org()
    {
        (await OperatorA.PutAsync($"/api/orgs/{_orgA}", new { name = "Renamed" })).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.PostAsync($"/api/orgs/{_orgA}/api-keys", new { name = "escalate" })).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await OperatorA.PutAsync($"/api/orgs/{_orgB}", new { name = "Renamed" })).Problem(HttpStatusCode.Forbidden, "forbidden");

        Assert.Equal($"Org {_orgA}", (string?)(await Admin.GetAsync($"/api/orgs/{_orgA}")).Ok()["name"]);
    }

    [Fact]
    public async Task The_health_endpoint_needs_no_key_and_the_OpenAPI_document_needs_the_admin_key()
    {
        var health = (await fixture.Silo.Anonymous.GetAsync("/healthz")).Ok();
        Assert.Equal("healthy", (string?)health["status"]);
        Assert.Equal("up", (string?)health["storage"]);
        Assert.Equal("up", (string?)health["reminders"]);
        (await fixture.Silo.Anonymous.GetAsync("/openapi/v1.json")).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(HttpStatusCode.OK, (await Admin.GetAsync("/openapi/v1.json")).Status);
    }
}
