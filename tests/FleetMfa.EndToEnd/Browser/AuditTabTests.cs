using System.Text.Json;
using FleetMfa.EndToEnd.Infrastructure;
using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>
/// The audit tab renders <c>GET /api/orgs/{orgId}/audit</c> (operator and device events, cursor paging) and says so
/// plainly when this silo has no audit log.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class AuditTabTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task The_audit_tab_renders_events_as_text_and_pages_with_the_cursor()
    {
        var orgId = TestIds.Unique("ui-audit");
        await fixture.Silo.Admin.CreateOrgAsync(orgId);

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(fixture.Silo.AdminKey, orgId);

        // The page against the documented response shape, two pages long; the actor carries markup that must stay text.
        var requests = new List<string>();
        await page.RouteAsync("**/api/orgs/*/audit*", async route =>
        {
            requests.Add(route.Request.Url);
            var second = route.Request.Url.Contains("cursor=c2", StringComparison.Ordinal);
            object[] items = second
                ? [new { id = "a3", time = "2026-11-27T10:00:00Z", kind = "operator", actor = "admin", action = "enable-mfa", target = "web-01", deviceId = "web-01" }]
                : [
                    new { id = "a1", time = "2026-11-27T12:00:00Z", kind = "device", actor = "<img src=x onerror=\"window.__xss=1\">", action = "login", target = "web-01", deviceId = "web-01", localUsername = "asmith", outcome = "denied", late = true },
                    new { id = "a2", time = "2026-11-27T11:00:00Z", kind = "device", actor = "agent", action = "login", target = "web-01", deviceId = "web-01", localUsername = "asmith", outcome = "accepted", late = false },
                ];
            await route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 200,
                ContentType = "application/json",
                Body = JsonSerializer.Serialize(new { items, nextCursor = second ? null : "c2" }),
            });
        });
        await page.ClickAsync("#tabs a[data-tab='audit']");
        await Assertions.Expect(page.Locator("#audit-rows tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#audit-rows tr").First).ToContainTextAsync("<img src=x onerror=\"window.__xss=1\">");
        await Assertions.Expect(page.Locator("#audit-rows tr").First).ToContainTextAsync("(late)");
        await page.ClickAsync("#audit-more");
        await Assertions.Expect(page.Locator("#audit-rows tr")).ToHaveCountAsync(3);
        Assert.True(await page.IsHiddenAsync("#audit-more"));
        Assert.Equal(0, await page.Locator("#audit-rows img").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__xss ?? null"));
        Assert.All(requests, url => Assert.Contains($"/api/orgs/{orgId}/audit?", url, StringComparison.Ordinal));
        await browser.ScreenshotAsync("audit");

        // The real silo: its audit log, or a plain note when this build has none (404).
        await page.UnrouteAllAsync();
        await page.ClickAsync("#tabs a[data-tab='devices']");
        await page.ClickAsync("#tabs a[data-tab='audit']");
        var real = await fixture.Silo.Admin.GetAsync($"/api/orgs/{orgId}/audit?limit=100");
        if (real.Status == System.Net.HttpStatusCode.NotFound)
        {
            await Assertions.Expect(page.Locator("#audit-status")).ToHaveTextAsync("The audit log is not available on this silo yet.");
        }
        else
        {
            real.Ok();
            await Assertions.Expect(page.Locator("#audit-status")).Not.ToHaveTextAsync("Loading…");
            Assert.DoesNotContain("not available", await page.TextContentAsync("#audit-status") ?? "", StringComparison.Ordinal);
        }

        Assert.Empty(browser.UnexpectedErrors(404));
    }
}
