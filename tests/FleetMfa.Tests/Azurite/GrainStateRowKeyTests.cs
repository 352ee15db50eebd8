using Azure.Data.Tables;
using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Silo.Hosting;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Azurite;

/// <summary>
/// Grain state in Azure Table storage (Azurite), stored as the host stores it: each grain under a row key of its own,
/// in the table its hash names, so that Azurite finds a grain's row without scanning the other grains'.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class GrainStateRowKeyTests(AzuriteClusterFixture fixture)
{
    [Fact]
    public async Task Each_grain_of_a_type_is_one_row_with_a_key_of_its_own_in_the_table_of_its_hash_and_reads_back()
    {
        var orgId = await fixture.Grains.NewOrgAsync();
        string[] deviceIds = ["web-01", "web-02"];
        foreach (var deviceId in deviceIds)
        {
            await fixture.Grains.RegisterLinuxAsync(orgId, deviceId);
        }

        var tables = fixture.GrainStateTableClients().ToArray();
        var storage = ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Fleet);

        var rowKeys = new List<string>();
        foreach (var device in deviceIds.Select(id => fixture.Grains.GetDevice(orgId, id).GetGrainId()))
        {
            var hash = device.GetUniformHashCode();
            var rowKey = $"device-{hash:x8}";
            var rows = new List<TableEntity>();
            await foreach (var row in tables[hash % StorageOptions.SpreadTableCount].QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {rowKey}")))
            {
                rows.Add(row);
            }

            var stored = Assert.Single(rows);
            var state = new GrainState<DeviceState>();
            await storage.ReadStateAsync("device", device, state);
            Assert.True(state.RecordExists);
            Assert.Equal(stored.ETag.ToString(), state.ETag);
            rowKeys.Add(rowKey);
        }

        Assert.Equal(2, rowKeys.Distinct().Count());
    }
}
