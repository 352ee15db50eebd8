using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>The dashboard as an operator uses it: the steps the browser tests share.</summary>
public static class DashboardPage
{
    /// <summary>Opens <c>/</c>, types the key (and org) into the sign-in form and waits for the devices view.</summary>
    public static async Task SignInAsync(this DashboardBrowser browser, string key, string orgId)
    {
        ArgumentNullException.ThrowIfNull(browser);
        var page = browser.Page;
        await page.GotoAsync("/");
        await page.FillAsync("#key", key);
        await page.FillAsync("#org", orgId);
        await page.ClickAsync("#signin-submit");
        await page.WaitForSelectorAsync("#devices-table");
        await page.WaitForSelectorAsync("body[data-devices-loaded='true']");
    }

    /// <summary>The row of a device in the devices table.</summary>
    public static ILocator DeviceRow(this IPage page, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(page);
        return page.Locator($"#device-rows tr[data-device-id='{deviceId}']");
    }

    /// <summary>The device ids the devices table shows, in order.</summary>
    public static async Task<IReadOnlyList<string>> ShownDeviceIdsAsync(this IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return await page.EvalOnSelectorAllAsync<string[]>("#device-rows tr[data-device-id]", "rows => rows.map(r => r.dataset.deviceId)");
    }
}
