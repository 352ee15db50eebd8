using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>The OpenAPI document describes the admin API, and like the rest of it (DESIGN §8) takes the admin key.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class OpenApiTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task The_OpenAPI_document_lists_the_admin_routes()
    {
        var document = (await fixture.Silo.Admin.GetAsync("/openapi/v1.json")).Ok();

        Assert.StartsWith("3.", (string?)document["openapi"], StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject();
        Assert.Contains("/api/orgs/{orgId}/devices", paths.Select(p => p.Key));
        Assert.Contains("/api/orgs/{orgId}/devices/{deviceId}", paths.Select(p => p.Key));
        Assert.Contains("/api/orgs/{orgId}/users/{userId}/totp/confirm", paths.Select(p => p.Key));
        Assert.NotNull(paths["/api/orgs/{orgId}/devices"]!["get"]);
        Assert.Equal("ListDevices", (string?)paths["/api/orgs/{orgId}/devices"]!["get"]!["operationId"]);
        Assert.NotNull(paths["/api/orgs/{orgId}/api-keys/{keyId}"]!["delete"]);
        Assert.NotNull(paths["/api/orgs/{orgId}/connect-keys"]!["get"]);
    }

    [Fact]
    public async Task The_OpenAPI_document_needs_the_admin_key()
    {
        var org = TestIds.Unique("openapi");
        await fixture.Silo.Admin.CreateOrgAsync(org);
        var ops = fixture.Silo.WithKey(await fixture.Silo.Admin.CreateOperatorKeyAsync(org));

        var anonymous = (await fixture.Silo.Anonymous.GetAsync("/openapi/v1.json")).Problem(System.Net.HttpStatusCode.Unauthorized, "unauthorized");
        (await fixture.Silo.WithKey("fma_not-the-admin-key").GetAsync("/openapi/v1.json")).Problem(System.Net.HttpStatusCode.Unauthorized, "unauthorized");
        (await ops.GetAsync("/openapi/v1.json")).Problem(System.Net.HttpStatusCode.Forbidden, "forbidden");

        Assert.DoesNotContain("/api/orgs/", anonymous.ToJsonString(), StringComparison.Ordinal);
    }
}
