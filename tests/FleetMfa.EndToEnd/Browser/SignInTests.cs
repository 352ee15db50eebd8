using FleetMfa.EndToEnd.Infrastructure;
using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>Signing in to the dashboard at <c>/</c>: the key is checked by the API, kept in sessionStorage only, never in a URL.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SignInTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task An_operator_key_signs_in_and_the_key_stays_out_of_urls_and_local_storage()
    {
        var admin = fixture.Silo.Admin;
        var orgId = TestIds.Unique("ui-signin");
        await admin.CreateOrgAsync(orgId);
        await admin.RegisterDeviceAsync(orgId, "web-01");
        var key = await admin.CreateOperatorKeyAsync(orgId);

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        var requested = new List<string>();
        browser.Page.Request += (_, request) => requested.Add(request.Url);
        await browser.Page.GotoAsync("/");
        await browser.ScreenshotAsync("signin");

        // The operator key names its org: the form fills it in.
        await browser.Page.FillAsync("#key", key);
        Assert.Equal(orgId, await browser.Page.InputValueAsync("#org"));
        await browser.Page.ClickAsync("#signin-submit");
        await browser.Page.WaitForSelectorAsync("#device-rows tr[data-device-id='web-01']");
        Assert.Contains($"org {orgId}", await browser.Page.TextContentAsync("#whoami"), StringComparison.Ordinal);

        var storage = await browser.StorageDumpAsync();
        Assert.Equal(key, await browser.Page.EvaluateAsync<string>("() => sessionStorage.getItem('fleetmfa.key')"));
        Assert.Equal(0, await browser.Page.EvaluateAsync<int>("() => localStorage.length"));
        Assert.DoesNotContain(requested, url => url.Contains(key, StringComparison.Ordinal) || url.Contains(key[..20], StringComparison.Ordinal));
        Assert.DoesNotContain(key, browser.Page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain(key, await browser.Page.EvaluateAsync<string>("() => document.cookie"), StringComparison.Ordinal);
        Assert.Contains(key, storage, StringComparison.Ordinal);

        // Signing out forgets it.
        await browser.Page.ClickAsync("#signout");
        await browser.Page.WaitForSelectorAsync("#signin");
        Assert.Null(await browser.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('fleetmfa.key')"));
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_and_nothing_is_stored()
    {
        var orgId = TestIds.Unique("ui-wrongkey");
        await fixture.Silo.Admin.CreateOrgAsync(orgId);
        var otherOrg = TestIds.Unique("ui-other");
        await fixture.Silo.Admin.CreateOrgAsync(otherOrg);
        var otherKey = await fixture.Silo.Admin.CreateOperatorKeyAsync(otherOrg);

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        await browser.Page.GotoAsync("/");
        await browser.Page.FillAsync("#key", "fma_" + new string('0', 64));
        await browser.Page.FillAsync("#org", orgId);
        await browser.Page.ClickAsync("#signin-submit");
        await Assertions.Expect(browser.Page.Locator("#signin-error")).ToHaveTextAsync("That key was refused.");
        await browser.ScreenshotAsync("signin-wrong-key");

        // A real key of another org does not open this one.
        await browser.Page.FillAsync("#key", otherKey);
        await browser.Page.FillAsync("#org", orgId);
        await browser.Page.ClickAsync("#signin-submit");
        await Assertions.Expect(browser.Page.Locator("#signin-error")).ToContainTextAsync("does not open org");

        Assert.Equal("{\"local\":{},\"session\":{}}", await browser.StorageDumpAsync());
        Assert.Empty(browser.UnexpectedErrors(401, 403));
        Assert.Equal(0, await browser.Page.Locator("#devices-table").CountAsync());
    }

    [Fact]
    public async Task The_page_is_served_at_the_root_with_a_strict_content_security_policy()
    {
        using var http = new HttpClient { BaseAddress = fixture.Silo.BaseAddress };
        using var response = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", string.Join(' ', response.Headers.GetValues("X-Content-Type-Options")));

        // Every asset is local: no CDN, nothing to build.
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        using var script = await http.GetAsync(new Uri("/js/app.js", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, script.StatusCode);

        // The API routes are untouched by the static files.
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await fixture.Silo.Anonymous.GetAsync("/api/orgs/demo")).Status);
    }
}
