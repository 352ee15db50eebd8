using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;
using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>
/// Decommissioning from the device page, with a real agent: the operator confirms, the page shows the record and the
/// agent's wipe acknowledgement arriving live; the device leaves the list of devices in service, and the
/// "decommissioned" view lists it, not selectable for a rollout.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DecommissionPageTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task An_operator_decommissions_a_device_from_its_page_and_sees_the_wipe_acknowledged()
    {
        var admin = fixture.Silo.Admin;
        var (orgId, _, connectKey) = await TestOrg.CreateAsync(fixture.Silo.Api, TestIds.Unique("ui-decom"));
        await using var agent = DeviceAgent.Create(fixture.Workspace, "ui-decom-host");
        await agent.EnrollAndGoOnlineAsync(fixture.Silo, orgId, connectKey);

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(await admin.CreateOperatorKeyAsync(orgId), orgId);
        await page.ClickAsync($"#device-rows tr[data-device-id='{agent.DeviceId}'] a");
        await Assertions.Expect(page.Locator("#device-hostname")).ToHaveTextAsync("ui-decom-host");

        // The confirmation is accepted by the browser fixture; the page turns into the record, and the reachable
        // agent's wipe acknowledgement arrives over the event stream.
        await page.ClickAsync("#device-decommission");
        await Assertions.Expect(page.Locator("#device-decommissioned")).ToBeVisibleAsync();
        // "not acknowledged: ..." is shown first, and contains "acknowledged:" too: the text must start with it.
        await Assertions.Expect(page.Locator("#device-wipe")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^acknowledged:"), new() { Timeout = 30_000 });
        Assert.Equal(0, await page.Locator("#device-enable, #device-disable, #bind-form, #device-decommission").CountAsync());
        var detail = await admin.GetDeviceAsync(orgId, agent.DeviceId);
        Assert.True((bool)detail["decommissioned"]!["wipeAcknowledged"]!);
        await browser.ScreenshotAsync("device-decommissioned");

        // The list of devices in service no longer has it; the decommissioned view does, and it cannot be selected.
        await page.ClickAsync("a.back");
        await Assertions.Expect(page.Locator("#device-rows tr.empty")).ToHaveTextAsync("No devices match.");
        await page.SelectOptionAsync("#filter-decommissioned", "true");
        var row = page.DeviceRow(agent.DeviceId);
        await Assertions.Expect(row.Locator(".pill-decommissioned")).ToHaveTextAsync("decommissioned");
        await Assertions.Expect(row.Locator(".row-select")).ToBeDisabledAsync();
        Assert.Empty(browser.UnexpectedErrors());
    }
}
