using Azure.Data.Tables;
using FleetMfa.Grains.Audit;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Audit;

/// <summary>The audit trail in Azure Table storage, on the Azurite of <see cref="AzuriteClusterFixture"/>, in a table of its own.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureTableAuditLogTests(AzuriteClusterFixture fixture) : AuditLogContract
{
    protected override IAuditLog Log { get; } =
        new AzureTableAuditLog(new TableServiceClient(fixture.ConnectionString).GetTableClient(fixture.AuditTable));

    [Fact]
    public async Task Records_are_rows_of_one_partition_per_org_and_day_holding_no_more_than_the_record()
    {
        var org = Fleet.NewId("org");
        var day = new DateTimeOffset(2026, 3, 1, 23, 59, 0, TimeSpan.Zero);
        await Log.AppendAsync([
            new AuditEntry(org, "op:a", day, AuditKind.Operator, "admin", null, "put-org", $"org:{org}", null, null, null, "succeeded", null, false, day),
            new AuditEntry(org, "op:b", day.AddMinutes(2), AuditKind.Operator, "admin", null, "put-org", $"org:{org}", null, null, null, "succeeded", null, false, day),
        ]);

        var table = new TableServiceClient(fixture.ConnectionString).GetTableClient(fixture.AuditTable);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"OrgId eq {org}")))
        {
            rows.Add(row);
        }

        Assert.Equal(2, rows.Select(r => r.PartitionKey).Distinct().Count());
        Assert.All(rows, r => Assert.StartsWith($"{org}:", r.PartitionKey, StringComparison.Ordinal));
        Assert.Equal(AuditRules.PartitionKey(org, day), rows.Single(r => r.GetString("Id") == "op:a").PartitionKey);
    }
}
