using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>Everything lives in Azure Table storage and the data dir: a new silo process picks up where the last one stopped.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class RestartTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Orgs_devices_users_and_a_pending_setup_survive_a_silo_restart()
    {
        // No FLEETMFA_ADMIN_KEY: the first silo generates admin.key and master.key, the second must reuse both.
        var settings = fixture.NewSiloSettings("restart");
        var org = TestIds.Unique("restart");
        // The users of a device first: that read may itself move the device's desired version on (see DeviceUsersTests).
        var reads = new[]
        {
            $"/api/orgs/{org}/devices/web-01/users",
            $"/api/orgs/{org}",
            $"/api/orgs/{org}/devices",
            $"/api/orgs/{org}/devices/web-01",
            $"/api/orgs/{org}/devices/mac-01",
            $"/api/orgs/{org}/users/alice",
            $"/api/orgs/{org}/users/bob",
        };
        var before = new Dictionary<string, JsonNode>();
        string aliceSecret, bobSecret, operatorKey, firstOutput;

        await using (var first = await SiloProcess.StartAsync(settings))
        {
            var admin = first.Admin;
            await admin.CreateOrgAsync(org);
            operatorKey = await admin.CreateOperatorKeyAsync(org);
            await admin.RegisterDeviceAsync(org, "web-01", "linux", "Debian 12");
            (await admin.PatchAsync($"/api/orgs/{org}/devices/web-01", new { linux = new { sshPasswordLogin = false, sshPublicKeyAuth = true } })).Ok();
            await admin.EnableMfaAsync(org, "web-01");
            await admin.RegisterDeviceAsync(org, "mac-01", "macos", "12.7");
            await admin.CreateUserAsync(org, "alice");
            await admin.CreateUserAsync(org, "bob");
            await admin.BindAsync(org, "web-01", "alice");
            await admin.BindAsync(org, "web-01", "bob");
            aliceSecret = await admin.StartEnrollmentAsync(org, "alice");
            await admin.ConfirmNowAsync(org, "alice", aliceSecret);
            bobSecret = await admin.StartEnrollmentAsync(org, "bob");
            foreach (var path in reads)
            {
                before[path] = (await admin.GetAsync(path)).Ok();
            }

            Assert.Equal(0, await first.StopAsync());
            firstOutput = first.Output;
        }

        await using var second = await SiloProcess.StartAsync(settings);

        foreach (var path in reads)
        {
            var after = (await second.Admin.GetAsync(path)).Ok();
            Assert.True(JsonNode.DeepEquals(before[path], after), $"GET {path} changed across the restart:\nbefore {before[path].ToJsonString()}\nafter  {after.ToJsonString()}");
        }

        Assert.Equal(org, (string?)(await second.WithKey(operatorKey).GetAsync($"/api/orgs/{org}")).Ok()["orgId"]);

        // The pending secret was encrypted with the master key in the data dir: it still decrypts and verifies.
        await second.Admin.ConfirmNowAsync(org, "bob", bobSecret);
        var users = await second.Admin.GetDeviceUsersAsync(org, "web-01");
        Assert.Equal(["enrolled", "enrolled"], users.Select(u => (string?)u!["totpStatus"]));
        Assert.Equal(["pending", "pending"], users.Select(u => (string?)u!["onDevice"]));

        Assert.Equal(0, await second.StopAsync());
        foreach (var output in new[] { firstOutput, second.Output })
        {
            Assert.DoesNotContain(aliceSecret, output, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(bobSecret, output, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(operatorKey, output, StringComparison.Ordinal);
        }
    }
}
