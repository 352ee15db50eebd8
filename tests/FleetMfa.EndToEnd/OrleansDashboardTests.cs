using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// The Orleans dashboard at <c>/dashboard</c>, for the admin key only: as a bearer header, or — for a browser — as the
/// password of HTTP Basic authentication (any user name), which the browser then sends with each of the dashboard's own
/// requests.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class OrleansDashboardTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task The_dashboard_and_its_data_are_served_to_the_admin_key_by_bearer_or_basic_authentication()
    {
        var page = await fixture.Silo.Admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("text/html", page.MediaType);
        Assert.Contains("<title>Orleans Dashboard</title>", page.Body, StringComparison.Ordinal);

        var browser = await BasicAsync("/dashboard/", "admin", fixture.Silo.AdminKey);
        Assert.Equal(HttpStatusCode.OK, browser.Status);
        Assert.Contains("Orleans Dashboard", browser.Body, StringComparison.Ordinal);

        // The dashboard's own data request, as the browser sends it: grain statistics include our grains.
        await fixture.Silo.Admin.CreateOrgAsync(TestIds.Unique("dashboard-stats"));
        await Poll.UntilAsync(
            async () =>
            {
                var counters = await BasicAsync("/dashboard/DashboardCounters", "anyone", fixture.Silo.AdminKey);
                Assert.Equal(HttpStatusCode.OK, counters.Status);
                return counters.Body;
            },
            body => JsonNode.Parse(body)!["simpleGrainStats"]!.AsArray().Any(s => ((string?)s!["grainType"])?.Contains("OrgGrain", StringComparison.Ordinal) == true),
            "OrgGrain in the dashboard's grain statistics");
    }

    [Fact]
    public async Task No_key_a_wrong_key_or_an_operator_key_is_refused()
    {
        var org = TestIds.Unique("dashboard");
        await fixture.Silo.Admin.CreateOrgAsync(org);
        var operatorKey = await fixture.Silo.Admin.CreateOperatorKeyAsync(org);

        foreach (var path in new[] { "/dashboard", "/dashboard/", "/dashboard/DashboardCounters", "/dashboard/index.min.js" })
        {
            var none = await fixture.Silo.Anonymous.GetAsync(path);
            none.Problem(HttpStatusCode.Unauthorized, "unauthorized");
            Assert.Contains("Basic realm=", none.WwwAuthenticate, StringComparison.Ordinal);
            (await BasicAsync(path, "admin", "fma_" + new string('1', 64))).Problem(HttpStatusCode.Unauthorized, "unauthorized");
            (await fixture.Silo.WithKey(operatorKey).GetAsync(path)).Problem(HttpStatusCode.Forbidden, "forbidden");
            (await BasicAsync(path, "ops", operatorKey)).Problem(HttpStatusCode.Forbidden, "forbidden");
        }
    }

    private async Task<ApiResponse> BasicAsync(string path, string user, string password)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return await fixture.Silo.Anonymous.SendAsync(request);
    }
}
