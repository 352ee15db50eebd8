using System.Net;
using System.Text;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>Bad ids, bad JSON and bad query values are 400 <c>validation</c> problems, never 500s (DESIGN §3, §8).</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class ValidationTests(EndToEndFixture fixture) : IAsyncLifetime
{
    private static readonly OncePerSilo<string> SharedOrg = new(async silo =>
    {
        var admin = silo.Admin;
        var org = TestIds.Unique("valid");
        await admin.CreateOrgAsync(org);
        await admin.RegisterDeviceAsync(org, "dev-1");
        await admin.CreateUserAsync(org, "user-1");
        return org;
    });

    private string _org = "";

    private ApiClient Admin => fixture.Silo.Admin;

    public async Task InitializeAsync() => _org = await SharedOrg.GetAsync(fixture.Silo);

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("GET", "/api/orgs/ACME")]
    [InlineData("GET", "/api/orgs/acme%20corp")]
    [InlineData("GET", "/api/orgs/-acme")]
    [InlineData("GET", "/api/orgs/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("GET", "/api/orgs/ACME/devices")]
    [InlineData("GET", "/api/orgs/{org}/devices/Web_01")]
    [InlineData("GET", "/api/orgs/{org}/devices/web%2F01")]
    [InlineData("POST", "/api/orgs/{org}/devices/.hidden/mfa/enable")]
    [InlineData("GET", "/api/orgs/{org}/users/Alice")]
    [InlineData("POST", "/api/orgs/{org}/users/ali%24e/totp/enroll")]
    [InlineData("DELETE", "/api/orgs/{org}/devices/dev-1/users/Not-A-Slug")]
    public async Task A_bad_id_in_the_path_is_a_validation_problem(string method, string path)
    {
        var response = await Admin.SendAsync(new HttpMethod(method), path.Replace("{org}", _org, StringComparison.Ordinal), body: null);

        response.Problem(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Creating_an_org_with_a_bad_id_is_a_validation_problem()
    {
        (await Admin.PutAsync("/api/orgs/ACME", new { name = "Acme" })).Problem(HttpStatusCode.BadRequest, "validation");
        (await Admin.PutAsync("/api/orgs/acme_corp!", new { name = "Acme" })).Problem(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task Registering_a_device_with_a_bad_id_is_a_validation_problem()
    {
        (await Admin.PutAsync($"/api/orgs/{_org}/devices/Bad_ID", new { hostname = "h", os = "linux", osVersion = "12" }))
            .Problem(HttpStatusCode.BadRequest, "validation");
    }

    [Theory]
    [InlineData("unknown member", "PUT", "", """{"name":"x","extra":1}""")]
    [InlineData("unknown nested member", "PATCH", "/devices/dev-1", """{"linux":{"sshPasswordLogin":false,"rootLogin":true}}""")]
    [InlineData("wrong type: string for bool", "PUT", "/mfa/totp", """{"enabled":"yes"}""")]
    [InlineData("wrong type: number for string", "PUT", "", """{"name":42}""")]
    [InlineData("wrong type: object for bool", "POST", "/devices/dev-1/mfa/enable", """{"force":{}}""")]
    [InlineData("enum as a number", "PUT", "/devices/dev-2", """{"hostname":"h","os":1,"osVersion":"1"}""")]
    [InlineData("unknown enum value", "PUT", "/devices/dev-2", """{"hostname":"h","os":"solaris","osVersion":"11"}""")]
    [InlineData("missing required member", "PUT", "/devices/dev-2", """{"hostname":"h","osVersion":"1"}""")]
    [InlineData("missing required member (empty object)", "PUT", "", "{}")]
    [InlineData("null for a required member", "PUT", "/users/user-2", """{"username":null}""")]
    [InlineData("malformed JSON", "PUT", "", """{"name":""")]
    [InlineData("not JSON at all", "POST", "/users/user-1/totp/confirm", "code=123456")]
    [InlineData("array instead of object", "PUT", "/mfa/totp", "[true]")]
    [InlineData("code with letters", "POST", "/users/user-1/totp/confirm", """{"code":"12a456"}""")]
    [InlineData("empty host name", "PUT", "/devices/dev-2", """{"hostname":"","os":"linux","osVersion":"12"}""")]
    [InlineData("invalid email", "PUT", "/users/user-2", """{"username":"u","email":"not-an-email"}""")]
    [InlineData("bad local username", "PUT", "/devices/dev-1/users/user-1", """{"localUsername":"root; rm -rf /"}""")]
    public async Task A_bad_request_body_is_a_validation_problem(string why, string method, string orgPath, string json)
    {
        var response = await Admin.SendAsync(new HttpMethod(method), $"/api/orgs/{_org}{orgPath}", json);

        var problem = response.Problem(HttpStatusCode.BadRequest, "validation");
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["detail"]), why);
    }

    [Fact]
    public async Task A_body_larger_than_64_KiB_is_a_validation_problem()
    {
        var json = $$"""{"name":"{{new string('a', 70 * 1024)}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"/api/orgs/{_org}", UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };

        var response = await Admin.SendAsync(request);

        response.Problem(HttpStatusCode.BadRequest, "validation");
        Assert.Equal($"Org {_org}", (string?)(await Admin.GetAsync($"/api/orgs/{_org}")).Ok()["name"]);
    }

    [Fact]
    public async Task A_missing_body_is_a_validation_problem()
    {
        (await Admin.SendAsync(HttpMethod.Put, $"/api/orgs/{_org}/mfa/totp", body: null)).Problem(HttpStatusCode.BadRequest, "validation");
        (await Admin.SendAsync(HttpMethod.Post, $"/api/orgs/{_org}/users/user-1/totp/confirm", body: null)).Problem(HttpStatusCode.BadRequest, "validation");
    }

    [Fact]
    public async Task A_body_that_is_not_declared_as_JSON_is_refused_as_a_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"/api/orgs/{_org}/mfa/totp", UriKind.Relative))
        {
            Content = new StringContent("""{"enabled":true}""", Encoding.UTF8, "text/plain"),
        };

        var response = await Admin.SendAsync(request);

        Assert.True(response.Status is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, $"{response.Status}: {response.Body}");
        response.Problem(response.Status, "validation");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=501")]
    [InlineData("limit=-5")]
    [InlineData("limit=abc")]
    [InlineData("os=solaris")]
    [InlineData("os=Linux")]
    [InlineData("os=0")]
    [InlineData("mfa=on")]
    [InlineData("mfa=2")]
    [InlineData("online=maybe")]
    [InlineData("cursor=..%2F..%2Fx")]
    public async Task A_bad_listing_query_value_is_a_validation_problem(string query)
    {
        (await Admin.GetAsync($"/api/orgs/{_org}/devices?{query}")).Problem(HttpStatusCode.BadRequest, "validation");
    }
}
