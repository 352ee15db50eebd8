using FleetMfa.EndToEnd.Infrastructure;
using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>Org settings in the page: the org TOTP switch, the TOTP parameters, the enrollment period and a connect key shown once.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class SettingsTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task The_org_totp_switch_and_enrollment_period_are_changed_from_the_page()
    {
        var admin = fixture.Silo.Admin;
        var orgId = TestIds.Unique("ui-settings");
        await admin.CreateOrgAsync(orgId, totpEnabled: false);

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(await admin.CreateOperatorKeyAsync(orgId), orgId);
        await Assertions.Expect(page.Locator("#totp-off-warning")).ToBeVisibleAsync();
        await page.ClickAsync("#tabs a[data-tab='settings']");
        await Assertions.Expect(page.Locator("#totp-state")).ToHaveTextAsync("Off");
        await Assertions.Expect(page.Locator("#totp-params")).ToContainTextAsync("SHA1");
        await Assertions.Expect(page.Locator("#totp-params")).ToContainTextAsync("30 s");

        await page.CheckAsync("#totp-switch");
        // The switch reaches every index shard before the API answers: give a loaded machine time.
        await Assertions.Expect(page.Locator("#totp-state")).ToHaveTextAsync("On", new() { Timeout = 30_000 });
        Assert.True((bool)(await admin.GetAsync($"/api/orgs/{orgId}")).Ok()["totp"]!["enabled"]!);

        await page.FillAsync("#enrollment-period", "48");
        await page.ClickAsync("#org-save");
        await Assertions.Expect(page.Locator("#toast")).ToHaveTextAsync("Org settings saved.");
        Assert.Equal(48, (int)(await admin.GetAsync($"/api/orgs/{orgId}")).Ok()["enrollmentPeriodHours"]!);

        // Out of range: the API's validation problem is shown, nothing changes.
        await page.FillAsync("#enrollment-period", "100000");
        await page.ClickAsync("#org-save");
        await Assertions.Expect(page.Locator("#settings-view-error")).ToContainTextAsync("validation");
        Assert.Equal(48, (int)(await admin.GetAsync($"/api/orgs/{orgId}")).Ok()["enrollmentPeriodHours"]!);

        // A connect key for agents, shown once.
        await page.ClickAsync("#new-connect-key");
        var key = await page.TextContentAsync("#new-key-value") ?? "";
        Assert.StartsWith("fmc_", key, StringComparison.Ordinal);
        await browser.ScreenshotAsync("settings");
        Assert.DoesNotContain(key, await browser.StorageDumpAsync(), StringComparison.Ordinal);
        Assert.Empty(browser.UnexpectedErrors(400));
    }
}
