using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Fleet;
using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>
/// A device with a real agent: its reported facts, a bound user's TOTP status, the MFA switch — and the agent's ack
/// arriving in the open page over the event stream, with no reload.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class DeviceDetailTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task A_device_shows_its_bound_users_status_and_the_agents_ack_arrives_live()
    {
        var admin = fixture.Silo.Admin;
        var (orgId, _, connectKey) = await TestOrg.CreateAsync(fixture.Silo.Api, TestIds.Unique("ui-detail"));
        await using var agent = DeviceAgent.Create(fixture.Workspace, "ui-detail-host");
        await agent.EnrollAndGoOnlineAsync(fixture.Silo, orgId, connectKey);
        await admin.CreateEnrolledUserAsync(orgId, "alice");
        await admin.BindAsync(orgId, agent.DeviceId, "alice", "asmith");

        await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
        var page = browser.Page;
        await browser.SignInAsync(await admin.CreateOperatorKeyAsync(orgId), orgId);
        await Assertions.Expect(page.DeviceRow(agent.DeviceId).Locator("td").Nth(4)).ToHaveTextAsync("online");
        await page.ClickAsync($"#device-rows tr[data-device-id='{agent.DeviceId}'] a");

        // What the agent reported, and alice: set up, but MFA is off here, so not required on the device yet.
        await Assertions.Expect(page.Locator("#device-hostname")).ToHaveTextAsync("ui-detail-host");
        await Assertions.Expect(page.Locator("#device-facts")).Not.ToContainTextAsync("no agent has reported");
        var alice = page.Locator("#device-users tr[data-user-id='alice']");
        await Assertions.Expect(alice.Locator(".totp-status")).ToHaveTextAsync("enrolled");
        await Assertions.Expect(alice.Locator(".on-device")).ToHaveTextAsync("not-required");
        await Assertions.Expect(alice).ToContainTextAsync("asmith");

        // MFA on from the page: pending until the agent acks; the ack and alice's secret arrive without a reload.
        var navigations = 0;
        page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) navigations++; };
        await page.ClickAsync("#device-enable");
        await Assertions.Expect(page.Locator("#device-mfa .mfa")).ToHaveAttributeAsync("data-status", "enabled", new() { Timeout = 30_000 });
        await Assertions.Expect(alice.Locator(".on-device")).ToHaveTextAsync("active", new() { Timeout = 30_000 });
        Assert.Equal(0, navigations);
        await browser.ScreenshotAsync("device-detail");

        // The SSH conflict is explained as soon as the operator ticks both boxes, before anything is sent.
        Assert.True(await page.Locator("#ssh-conflict-preview").IsHiddenAsync());
        await page.CheckAsync("#ssh-publickey");
        await Assertions.Expect(page.Locator("#ssh-conflict-preview")).ToContainTextAsync("linux-ssh-conflict");
        await browser.ScreenshotAsync("device-ssh-conflict");
        await page.ClickAsync("#settings-save");
        await Assertions.Expect(page.Locator("#settings-error")).ToContainTextAsync("linux-ssh-conflict");
        var detail = await admin.GetDeviceAsync(orgId, agent.DeviceId);
        Assert.False((bool)detail["settings"]!["linux"]!["sshPublicKeyAuth"]!);

        // Back in the list, the row shows the lock closed.
        await page.ClickAsync("a.back");
        await Assertions.Expect(page.DeviceRow(agent.DeviceId).Locator(".mfa")).ToHaveAttributeAsync("data-status", "enabled");
        Assert.Empty(browser.UnexpectedErrors(409));
    }
}
