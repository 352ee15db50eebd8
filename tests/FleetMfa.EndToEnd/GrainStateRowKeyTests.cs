using System.Globalization;
using Azure.Data.Tables;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// The silo keeps each grain's state under a row key of its own (state name and grain hash) in the one of its 16
/// grain-state tables that the hash names, so Azurite finds a row without scanning the other grains'; the state reads
/// back after a restart.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class GrainStateRowKeyTests(EndToEndFixture fixture)
{
    private const int Tables = 16;

    [Fact]
    public async Task Each_device_has_a_row_key_of_its_own_in_the_table_of_its_hash_and_its_state_survives_a_restart()
    {
        var table = $"rowkeys{Guid.NewGuid():N}"[..20];
        var org = TestIds.Unique("rowkeys");
        var settings = fixture.NewSiloSettings("rowkeys") with
        {
            Environment = new Dictionary<string, string> { ["FleetMfa__Storage__GrainStateTable"] = table },
        };

        string before;
        await using (var first = await SiloProcess.StartAsync(settings))
        {
            await first.Admin.CreateOrgAsync(org);
            foreach (var device in Enumerable.Range(0, 8).Select(i => $"host-{i}"))
            {
                await first.Admin.RegisterDeviceAsync(org, device, "linux", "Debian 12");
            }

            before = (await first.Admin.GetAsync($"/api/orgs/{org}/devices/host-3")).Ok().ToJsonString();
            Assert.Equal(0, await first.StopAsync());
        }

        var rows = await DeviceRowsAsync(table, org);
        Assert.Equal(8, rows.Count);
        Assert.All(rows, row => Assert.Matches("^device-[0-9a-f]{8}$", row.RowKey));
        Assert.Equal(8, rows.Select(row => row.RowKey).Distinct().Count());
        Assert.All(rows, row => Assert.Equal(uint.Parse(row.RowKey["device-".Length..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) % Tables, (uint)row.Table));

        await using var again = await SiloProcess.StartAsync(settings);
        Assert.Equal(before, (await again.Admin.GetAsync($"/api/orgs/{org}/devices/host-3")).Ok().ToJsonString());
        Assert.Equal(8, (await again.Admin.GetAsync($"/api/orgs/{org}/devices")).Ok()["items"]!.AsArray().Count);
    }

    /// <summary>The row keys of the org's device grains and the table each is in, over <c>{table}00</c>…<c>{table}15</c>.</summary>
    private async Task<List<(string RowKey, int Table)>> DeviceRowsAsync(string table, string org)
    {
        var service = new TableServiceClient(fixture.Storage.ConnectionString);
        var rows = new List<(string, int)>();
        for (var i = 0; i < Tables; i++)
        {
            await foreach (var row in service.GetTableClient($"{table}{i:D2}").QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                if (row.PartitionKey.Contains($"device_{org}", StringComparison.Ordinal))
                {
                    rows.Add((row.RowKey, i));
                }
            }
        }

        return rows;
    }
}
