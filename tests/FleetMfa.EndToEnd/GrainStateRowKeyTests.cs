using Azure.Data.Tables;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Grain state spread over several tables (FLEETMFA_GRAIN_STATE_TABLES) survives a restart, and a silo started with
/// another count refuses to run instead of losing sight of every grain's state. A new store keys each grain's row by
/// state name and grain hash, so Azurite finds a row without scanning the other grains'.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class GrainStateTablesTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task State_spread_over_tables_survives_a_restart_and_another_table_count_is_refused_with_exit_code_2()
    {
        var table = $"layout{Guid.NewGuid():N}"[..20];
        var org = TestIds.Unique("layout");
        SiloSettings WithTables(int tables) => fixture.NewSiloSettings($"tables{tables}") with
        {
            Environment = new Dictionary<string, string>
            {
                ["FLEETMFA_GRAIN_STATE_TABLES"] = $"{tables}",
                ["FleetMfa__Storage__GrainStateTable"] = table,
            },
        };

        var four = WithTables(4);
        string before;
        await using (var first = await SiloProcess.StartAsync(four))
        {
            await first.Admin.CreateOrgAsync(org);
            foreach (var device in Enumerable.Range(0, 8).Select(i => $"host-{i}"))
            {
                await first.Admin.RegisterDeviceAsync(org, device, "linux", "Debian 12");
            }

            before = (await first.Admin.GetAsync($"/api/orgs/{org}/devices/host-3")).Ok().ToJsonString();
            Assert.Equal(0, await first.StopAsync());
        }

        var deviceRowKeys = await DeviceRowKeysAsync(table, org);
        Assert.Equal(8, deviceRowKeys.Count);
        Assert.All(deviceRowKeys, key => Assert.Matches("^device-[0-9a-f]{8}$", key));
        Assert.Equal(8, deviceRowKeys.Distinct().Count());

        await using (var refused = SiloProcess.Launch(WithTables(3)))
        {
            Assert.Equal(2, await refused.Process.WaitForExitAsync(TimeSpan.FromSeconds(45)));
            Assert.Contains(refused.Output.Split('\n'), line => line.Contains("FLEETMFA_GRAIN_STATE_TABLES", StringComparison.Ordinal) && line.Contains("Set it to 4", StringComparison.Ordinal));
        }

        await using var again = await SiloProcess.StartAsync(four);
        Assert.Equal(before, (await again.Admin.GetAsync($"/api/orgs/{org}/devices/host-3")).Ok().ToJsonString());
        Assert.Equal(8, (await again.Admin.GetAsync($"/api/orgs/{org}/devices")).Ok()["items"]!.AsArray().Count);
    }

    /// <summary>The row keys of the org's device grains, over the four tables <c>{table}00</c>…<c>{table}03</c>.</summary>
    private async Task<List<string>> DeviceRowKeysAsync(string table, string org)
    {
        var service = new TableServiceClient(fixture.Storage.ConnectionString);
        var keys = new List<string>();
        foreach (var name in Enumerable.Range(0, 4).Select(i => $"{table}{i:D2}"))
        {
            await foreach (var row in service.GetTableClient(name).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                if (row.PartitionKey.Contains($"device_{org}", StringComparison.Ordinal))
                {
                    keys.Add(row.RowKey);
                }
            }
        }

        return keys;
    }
}
