using FleetMfa.EndToEnd.Infrastructure;
using Microsoft.Playwright;

namespace FleetMfa.EndToEnd.Browser;

/// <summary>
/// Bulk Enable MFA from the page over five real agents: three selected, a rollout started, its progress bar followed
/// live to the end, and the three lock icons closing without a reload while the other two stay open.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class RolloutTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Selecting_three_of_five_devices_and_enabling_MFA_follows_the_rollout_to_the_end()
    {
        var admin = fixture.Silo.Admin;
        var orgId = TestIds.Unique("ui-rollout");
        await admin.CreateOrgAsync(orgId);
        var agents = Enumerable.Range(1, 5).Select(i => DeviceAgent.Create(fixture.Workspace, $"ui-roll-{i}")).ToList();
        try
        {
            await Task.WhenAll(agents.Select(async agent =>
            {
                var (_, connectKey) = await admin.CreateConnectKeyAsync(orgId);
                await agent.EnrollOrFailAsync(fixture.Silo.AgentAddress, connectKey);
                agent.StartDaemon();
            }));
            await Poll.UntilAsync(
                async () => (await admin.GetAsync($"/api/orgs/{orgId}/devices?online=true")).Ok()["items"]!.AsArray().Count,
                online => online == 5,
                "five agents online");

            await using var browser = await DashboardBrowser.LaunchAsync(fixture.Silo.BaseAddress);
            var page = browser.Page;
            await browser.SignInAsync(await admin.CreateOperatorKeyAsync(orgId), orgId);
            await Assertions.Expect(page.Locator("#device-rows tr[data-device-id]")).ToHaveCountAsync(5);
            var ids = await page.ShownDeviceIdsAsync();
            var chosen = ids.Take(3).ToArray();
            var others = ids.Skip(3).ToArray();
            foreach (var id in chosen)
            {
                await page.DeviceRow(id).Locator(".row-select").CheckAsync();
            }

            await Assertions.Expect(page.Locator("#selection-info")).ToHaveTextAsync("3 selected");
            var navigations = 0;
            page.FrameNavigated += (_, frame) => { if (frame == page.MainFrame) navigations++; };
            await page.ClickAsync("#bulk-enable");

            // The progress bar appears and follows the rollout to the end, fed by the event stream.
            await Assertions.Expect(page.Locator("#rollout")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#rollout")).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#rollout-counts")).ToContainTextAsync("3 of 3 done — 3 succeeded, 0 rejected, 0 failed, 0 pending");
            Assert.Equal("100", await page.GetAttributeAsync("#rollout-bar", "aria-valuenow"));

            // The lock icons turned on the three rows, live; the other two stayed open.
            foreach (var id in chosen)
            {
                await Assertions.Expect(page.DeviceRow(id).Locator(".mfa")).ToHaveAttributeAsync("data-status", "enabled", new() { Timeout = 30_000 });
            }

            foreach (var id in others)
            {
                await Assertions.Expect(page.DeviceRow(id).Locator(".mfa")).ToHaveAttributeAsync("data-status", "disabled");
            }

            await Assertions.Expect(page.Locator("[data-count='enabled']")).ToHaveTextAsync("3");
            Assert.Equal(0, navigations);
            await browser.ScreenshotAsync("rollout");

            // What the page showed is what the agents acked.
            foreach (var id in chosen)
            {
                await admin.WaitForMfaStatusAsync(orgId, id, "enabled");
            }

            Assert.Equal("disabled", (string?)(await admin.GetDeviceAsync(orgId, others[0]))["mfa"]!["status"]);
            Assert.Empty(browser.UnexpectedErrors());
        }
        finally
        {
            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }
}
