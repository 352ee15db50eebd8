using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Hosting;

/// <summary>
/// A store's grain-state layout, recorded in its first table: over how many tables grain state is spread
/// (<see cref="StorageOptions.GrainStateTables"/>), and whether row keys carry the grain's hash
/// (<see cref="ShardedGrainStorage"/>). A start with another table count is refused: a grain would look for its state
/// in another table and find none. The row-key layout is not configured but read: a new store gets per-grain row keys,
/// a store written before them keeps the state name as row key, so nothing has to be moved. A store from before the
/// layout was recorded holds everything in one table, with state names as row keys.
/// </summary>
public sealed partial class GrainStateLayout(TableServiceClient tables, IOptions<StorageOptions> options, ILogger<GrainStateLayout> logger)
{
    private const string LayoutPartition = "fleetmfa-layout";
    private const string LayoutRow = "grain-state-tables";
    private const string TablesColumn = "Tables";
    private const string RowKeysColumn = "RowKeys";
    private const string PerGrainRowKeysValue = "state-name-and-grain-hash";

    private bool? _perGrainRowKeys;

    /// <summary>Whether grain state rows are keyed per grain; known once <see cref="CheckAsync"/> has passed.</summary>
    public bool PerGrainRowKeys =>
        _perGrainRowKeys ?? throw new InvalidOperationException("The grain-state layout is read before the silo starts (GrainStateLayout.CheckAsync).");

    /// <summary>True when the configured count is the store's (recording the layout of a new store); false, logged, when not.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        var wanted = options.Value.GrainStateTables;
        var table = tables.GetTableClient(options.Value.GrainStateTable);
        var stored = await StoredLayoutAsync(table, cancellationToken);
        if (stored is null)
        {
            stored = await HasGrainStateAsync(table, cancellationToken) ? (1, false) : (wanted, true);
            if (stored.Value.Tables == wanted)
            {
                try
                {
                    var marker = new TableEntity(LayoutPartition, LayoutRow) { [TablesColumn] = wanted };
                    if (stored.Value.PerGrainRowKeys)
                    {
                        marker[RowKeysColumn] = PerGrainRowKeysValue;
                    }

                    await table.AddEntityAsync(marker, cancellationToken);
                }
                catch (RequestFailedException ex) when (ex.Status == 409)
                {
                    // Another silo recorded it first: that one counts.
                    stored = await StoredLayoutAsync(table, cancellationToken);
                }
            }
        }

        var (storedTables, perGrainRowKeys) = stored ?? (0, false);
        if (storedTables != wanted)
        {
            LogLayoutMismatch(logger, options.Value.GrainStateTable, storedTables, wanted);
            return false;
        }

        _perGrainRowKeys = perGrainRowKeys;
        return true;
    }

    private static async Task<(int Tables, bool PerGrainRowKeys)?> StoredLayoutAsync(TableClient table, CancellationToken cancellationToken)
    {
        var marker = await table.GetEntityIfExistsAsync<TableEntity>(LayoutPartition, LayoutRow, cancellationToken: cancellationToken);
        return marker.HasValue
            ? (marker.Value!.GetInt32(TablesColumn) ?? 1, marker.Value.GetString(RowKeysColumn) == PerGrainRowKeysValue)
            : null;
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
