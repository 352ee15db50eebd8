using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>The OpenAPI document describes the admin API.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class OpenApiTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task The_OpenAPI_document_lists_the_admin_routes()
    {
        var document = (await fixture.Silo.Anonymous.GetAsync("/openapi/v1.json")).Ok();

        Assert.StartsWith("3.", (string?)document["openapi"], StringComparison.Ordinal);
        var paths = document["paths"]!.AsObject();
        Assert.Contains("/api/orgs/{orgId}/devices", paths.Select(p => p.Key));
        Assert.Contains("/api/orgs/{orgId}/devices/{deviceId}", paths.Select(p => p.Key));
        Assert.Contains("/api/orgs/{orgId}/users/{userId}/totp/confirm", paths.Select(p => p.Key));
        Assert.NotNull(paths["/api/orgs/{orgId}/devices"]!["get"]);
        Assert.Equal("ListDevices", (string?)paths["/api/orgs/{orgId}/devices"]!["get"]!["operationId"]);
    }
}
