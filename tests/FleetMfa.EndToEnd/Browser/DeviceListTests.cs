using FleetMfa.EndToEnd.Infrastructure;
using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>The devices view: counts, filters by OS / MFA status / online, and cursor paging.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DeviceListTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Filters_and_paging_show_the_devices_the_api_lists()
    {
        var admin = fixture.Silo.Admin;
        var orgId = TestIds.Unique("ui-filter");
        await admin.CreateOrgAsync(orgId);

        // 52 Linux devices (more than one page of 50), one Mac, one Windows; MFA on for one Linux device (pending: no agent).
        var linux = Enumerable.Range(1, 52).Select(i => $"lin-{i:D2}").ToArray();
        foreach (var chunk in linux.Chunk(8))
        {
            await Task.WhenAll(chunk.Select(id => admin.RegisterDeviceAsync(orgId, id)));
        }

        await admin.PutAsync($"/api/orgs/{orgId}/devices/mac-01", new { hostname = "mac-01", os = "macos", osVersion = "14.5" });
        await admin.PutAsync($"/api/orgs/{orgId}/devices/win-01", new { hostname = "win-01", os = "windows", osVersion = "10.0.19045" });
        await admin.EnableMfaAsync(orgId, "lin-07");

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(fixture.Silo.AdminKey, orgId);
        await Assertions.Expect(page.Locator("[data-count='total']")).ToHaveTextAsync("54");
        await Assertions.Expect(page.Locator("[data-count='pending']")).ToHaveTextAsync("1");
        Assert.Equal(50, (await page.ShownDeviceIdsAsync()).Count);
        Assert.Equal("lin-01", (await page.ShownDeviceIdsAsync())[0]);
        await browser.ScreenshotAsync("devices");

        // Next page: the rest, in id order; Previous goes back.
        await page.ClickAsync("#next-page");
        await Assertions.Expect(page.DeviceRow("win-01")).ToBeVisibleAsync();
        Assert.Equal(["lin-51", "lin-52", "mac-01", "win-01"], await page.ShownDeviceIdsAsync());
        Assert.True(await page.IsDisabledAsync("#next-page"));
        await page.ClickAsync("#prev-page");
        await Assertions.Expect(page.DeviceRow("lin-01")).ToBeVisibleAsync();

        // OS filter.
        await page.SelectOptionAsync("#filter-os", "macos");
        await Assertions.Expect(page.Locator("#device-rows tr[data-device-id]")).ToHaveCountAsync(1);
        Assert.Equal(["mac-01"], await page.ShownDeviceIdsAsync());
        await browser.ScreenshotAsync("devices-filter-os");

        // MFA status filter, combined with OS.
        await page.SelectOptionAsync("#filter-os", "linux");
        await page.SelectOptionAsync("#filter-mfa", "pending");
        await Assertions.Expect(page.Locator("#device-rows tr[data-device-id]")).ToHaveCountAsync(1);
        Assert.Equal(["lin-07"], await page.ShownDeviceIdsAsync());
        await Assertions.Expect(page.DeviceRow("lin-07").Locator(".mfa")).ToHaveAttributeAsync("data-status", "pending");

        // Online filter: nothing here has an agent.
        await page.SelectOptionAsync("#filter-mfa", "");
        await page.SelectOptionAsync("#filter-online", "true");
        await Assertions.Expect(page.Locator("#device-rows tr.empty")).ToHaveTextAsync("No devices match.");
        await page.SelectOptionAsync("#filter-online", "false");
        await Assertions.Expect(page.Locator("#device-rows tr[data-device-id]")).ToHaveCountAsync(50);
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Text_from_the_api_is_shown_as_text_never_run_as_markup()
    {
        var admin = fixture.Silo.Admin;
        var orgId = TestIds.Unique("ui-escape");
        await admin.CreateOrgAsync(orgId);
        const string evilName = "<img src=x onerror=\"window.__xss=1\">";
        const string evilPlugin = "<script>window.__xss=2</script>";
        (await admin.PutAsync($"/api/orgs/{orgId}/devices/mac-01", new
        {
            hostname = "mac-01", os = "macos", osVersion = "14.5", facts = new { authPlugins = new[] { evilPlugin } },
        })).Ok();
        (await admin.PutAsync($"/api/orgs/{orgId}/users/mallory", new { username = evilName })).Ok();
        await admin.BindAsync(orgId, "mac-01", "mallory", "mallory");

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(fixture.Silo.AdminKey, orgId);
        await page.ClickAsync("#device-rows a:text('mac-01')");
        await Assertions.Expect(page.Locator("#device-users tr[data-user-id='mallory']")).ToContainTextAsync(evilName);
        await Assertions.Expect(page.Locator("#device-facts")).ToContainTextAsync(evilPlugin);
        await browser.ScreenshotAsync("escaping");

        Assert.Equal(0, await page.Locator("#device-view img, #device-view script").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__xss ?? null"));
    }
}
