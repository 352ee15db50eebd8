using Azure.Data.Tables;
using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>The device index in Azure Table storage, on the Azurite of <see cref="AzuriteClusterFixture"/>, in a table of its own.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureTableDeviceIndexStoreTests(AzuriteClusterFixture fixture) : DeviceIndexStoreContract
{
    private readonly TableClient _table = new TableServiceClient(fixture.ConnectionString).GetTableClient(fixture.DeviceIndexTable);

    protected override IDeviceIndexStore Store => new AzureTableDeviceIndexStore(_table);

    [Fact]
    public async Task Each_device_is_one_entity_of_its_org_and_shard_partition_holding_only_its_row()
    {
        var org = Fleet.NewId("org");
        await Store.WriteAsync(org, 5, [new DeviceRow("web-01", "web-01", DeviceOs.Linux, true, MfaStatus.Enabled, true, null)]);

        var entities = new List<TableEntity>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {org + ":05"}")))
        {
            entities.Add(entity);
        }

        var row = Assert.Single(entities);
        Assert.Equal("web-01", row.RowKey);
        Assert.Equal(
            ["Hostname", "MfaDesired", "MfaStatus", "Online", "Os", "PartitionKey", "RowKey", "Timestamp", "odata.etag"],
            row.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Enabled", row.GetString("MfaStatus"));
    }
}
