using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Hosting;

/// <summary>
/// Records over how many tables grain state is spread (<see cref="StorageOptions.GrainStateTables"/>) in the first
/// table, and refuses a start with another count: a grain would look for its state in another table and find none.
/// A store from before the count was recorded holds everything in the one table.
/// </summary>
public sealed partial class GrainStateLayout(TableServiceClient tables, IOptions<StorageOptions> options, ILogger<GrainStateLayout> logger)
{
    private const string LayoutPartition = "fleetmfa-layout";
    private const string LayoutRow = "grain-state-tables";
    private const string TablesColumn = "Tables";

    /// <summary>True when the configured count is the store's (recording it for a new store); false, logged, when not.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        var wanted = options.Value.GrainStateTables;
        var table = tables.GetTableClient(options.Value.GrainStateTable);
        var stored = await StoredCountAsync(table, cancellationToken);
        if (stored is null)
        {
            stored = await HasGrainStateAsync(table, cancellationToken) ? 1 : wanted;
            if (stored == wanted)
            {
                try
                {
                    await table.AddEntityAsync(new TableEntity(LayoutPartition, LayoutRow) { [TablesColumn] = wanted }, cancellationToken);
                }
                catch (RequestFailedException ex) when (ex.Status == 409)
                {
                    // Another silo recorded it first: that one counts.
                    stored = await StoredCountAsync(table, cancellationToken);
                }
            }
        }

        if (stored != wanted)
        {
            LogLayoutMismatch(logger, options.Value.GrainStateTable, stored ?? 0, wanted);
            return false;
        }

        return true;
    }

    private static async Task<int?> StoredCountAsync(TableClient table, CancellationToken cancellationToken)
    {
        var marker = await table.GetEntityIfExistsAsync<TableEntity>(LayoutPartition, LayoutRow, cancellationToken: cancellationToken);
        return marker.HasValue ? marker.Value!.GetInt32(TablesColumn) ?? 1 : null;
    }

    private static async Task<bool> HasGrainStateAsync(TableClient table, CancellationToken cancellationToken)
    {
        await foreach (var page in table.QueryAsync<TableEntity>($"PartitionKey ne '{LayoutPartition}'", maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken).AsPages())
        {
            return page.Values.Count > 0;
        }

        return false;
    }

    [LoggerMessage(102, LogLevel.Critical, "Grain state in {Table} is spread over {Stored} table(s), but FLEETMFA_GRAIN_STATE_TABLES (FleetMfa:Storage:GrainStateTables) is {Wanted}. Set it to {Stored}: with another count every grain would look for its state in another table.")]
    private static partial void LogLayoutMismatch(ILogger logger, string table, int stored, int wanted);
}
