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
    public async Task Over_several_tables_each_shard_lives_in_its_own_table_and_reads_back()
    {
        var service = new TableServiceClient(fixture.ConnectionString);
        TableClient[] tables = [service.GetTableClient($"{fixture.DeviceIndexTable}a"), service.GetTableClient($"{fixture.DeviceIndexTable}b")];
        var store = new AzureTableDeviceIndexStore(tables);
        var org = Fleet.NewId("org");

        await store.WriteAsync(org, 2, [new DeviceRow("even-1", "even-1", DeviceOs.Linux, false, MfaStatus.Disabled, false, null)]);
        await store.WriteAsync(org, 3, [new DeviceRow("odd-1", "odd-1", DeviceOs.Linux, false, MfaStatus.Disabled, false, null)]);

        Assert.Equal(["even-1"], (await store.ReadAsync(org, 2)).Select(r => r.DeviceId));
        Assert.Equal(["odd-1"], (await store.ReadAsync(org, 3)).Select(r => r.DeviceId));
        Assert.Equal(["even-1"], await RowKeysAsync(tables[0], org));
        Assert.Equal(["odd-1"], await RowKeysAsync(tables[1], org));
        await Task.WhenAll(tables.Select(t => t.DeleteAsync()));
    }

    private static async Task<List<string>> RowKeysAsync(TableClient table, string org)
    {
        var keys = new List<string>();
        await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey ge {org} and PartitionKey lt {org + ";"}")))
        {
            keys.Add(entity.RowKey);
        }

        return keys;
    }

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
