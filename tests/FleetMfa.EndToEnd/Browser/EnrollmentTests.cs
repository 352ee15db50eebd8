using FleetMfa.EndToEnd.Infrastructure;
using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>Users in the page: create, start setup (QR code and otpauth URI, shown once), confirm with a real code, bind, reset.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class EnrollmentTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task An_operator_enrolls_a_user_with_the_qr_code_and_binds_them_to_a_device()
    {
        var admin = fixture.Silo.Admin;
        var orgId = TestIds.Unique("ui-enroll");
        await admin.CreateOrgAsync(orgId);
        await admin.RegisterDeviceAsync(orgId, "web-01");

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(await admin.CreateOperatorKeyAsync(orgId), orgId);
        await page.ClickAsync("#tabs a[data-tab='users']");
        await page.FillAsync("#user-id", "bob");
        await page.FillAsync("#user-name", "Bob Builder");
        await page.FillAsync("#user-email", "bob@example.com");
        await page.ClickAsync("#user-save");
        await Assertions.Expect(page.Locator("#user-totp-status")).ToHaveTextAsync("not-enrolled");

        // Start setup: the QR code (an image, decoded by the browser), the otpauth URI and the secret, once.
        await page.ClickAsync("#start-setup");
        var qr = page.Locator("#enrollment-dialog #qr-code");
        await Assertions.Expect(qr).ToBeVisibleAsync();
        Assert.True(await qr.EvaluateAsync<int>("img => img.naturalWidth") > 0, "the QR code image did not decode");
        var uri = await page.TextContentAsync("#otpauth-uri") ?? "";
        Assert.StartsWith("otpauth://totp/", uri, StringComparison.Ordinal);
        var secret = await page.TextContentAsync("#otp-secret") ?? "";
        Assert.Contains($"secret={secret}", uri, StringComparison.Ordinal);
        await browser.ScreenshotAsync("user-enrollment-qr");
        await page.ClickAsync("#enrollment-done");
        await Assertions.Expect(page.Locator("#enrollment-dialog")).ToHaveCountAsync(0);
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, await browser.StorageDumpAsync(), StringComparison.Ordinal);

        // A wrong code is refused; the authenticator's code (oathtool) completes setup.
        await Assertions.Expect(page.Locator("#user-totp-status")).ToHaveTextAsync("pending-setup");
        await page.FillAsync("#confirm-code", Oathtool.Totp(secret) == "000000" ? "111111" : "000000");
        await page.ClickAsync("#confirm-form button");
        await Assertions.Expect(page.Locator("#confirm-error")).ToContainTextAsync("invalid-code");
        await page.FillAsync("#confirm-code", Oathtool.Totp(secret));
        await page.ClickAsync("#confirm-form button");
        await Assertions.Expect(page.Locator("#user-totp-status")).ToHaveTextAsync("enrolled");

        // Bind to a device from the user's card.
        await page.FillAsync("#bind-device", "web-01");
        await page.FillAsync("#bind-local-user", "bbuilder");
        await page.ClickAsync("#user-bind-form button");
        await Assertions.Expect(page.Locator("#user-devices")).ToHaveTextAsync("web-01");
        await browser.ScreenshotAsync("user");
        var users = await admin.GetDeviceUsersAsync(orgId, "web-01");
        var bound = Assert.Single(users)!;
        Assert.Equal("bbuilder", (string?)bound["localUsername"]);
        Assert.Equal("enrolled", (string?)bound["totpStatus"]);

        // Reset (lost phone).
        await page.ClickAsync("#reset-totp");
        await Assertions.Expect(page.Locator("#user-totp-status")).ToHaveTextAsync("not-enrolled");
        Assert.Empty(browser.UnexpectedErrors(400));
    }
}
