using System.Security.Cryptography;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>Several silos with Azure Table membership (FLEETMFA_CLUSTERING=AzureTable) form one cluster over the same storage, over mutual TLS.</summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class ClusterTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task Two_silos_with_Azure_Table_membership_join_one_cluster_and_serve_the_same_grains()
    {
        var shared = await ClusterEnvironment.CreateAsync(fixture.Workspace, "cluster");
        var adminKey = $"fma_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";
        await using var first = await SiloProcess.StartAsync(fixture.NewSiloSettings("cluster-a") with { AdminKey = adminKey, Environment = shared });
        await using var second = await SiloProcess.StartAsync(fixture.NewSiloSettings("cluster-b") with { AdminKey = adminKey, Environment = shared });

        foreach (var silo in new[] { first, second })
        {
            await Poll.UntilAsync(
                async () => (int?)(await silo.Anonymous.GetAsync("/healthz")).Json["activeSilos"] ?? 0,
                n => n == 2,
                "both silos see a two-silo cluster");
        }

        // Written through one silo, read through the other: one grain per id, wherever it is activated.
        var org = TestIds.Unique("cluster");
        await first.Admin.CreateOrgAsync(org, totpEnabled: false);
        await first.Admin.RegisterDeviceAsync(org, "web-01", "linux", "Debian 12");
        (await second.Admin.PutAsync($"/api/orgs/{org}/mfa/totp", new { enabled = true })).Ok();
        await second.Admin.EnableMfaAsync(org, "web-01");

        var device = (await first.Admin.GetAsync($"/api/orgs/{org}/devices/web-01")).Ok();
        Assert.True((bool)device["mfa"]!["required"]!);
        var summary = (await second.Admin.GetAsync($"/api/orgs/{org}")).Ok();
        Assert.Equal(1, (int)summary["devices"]!["total"]!);
    }
}
