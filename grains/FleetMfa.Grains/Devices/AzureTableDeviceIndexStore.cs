using Azure.Data.Tables;
using FleetMfa.Grains.Internal;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// The device index in one Azure Table (<c>FleetMfaDeviceIndex</c> by default): partition <c>{orgId}:{shard}</c>, row
/// <c>{deviceId}</c>, a column per <see cref="DeviceRow"/> field. A shard's changed rows go in entity-group
/// transactions of up to 100 upserts, so a burst of acks costs one request per hundred devices, and each request is
/// as small as its rows at any org size (the index used to be one grain-state blob per shard, written whole). Given
/// several tables, shard <c>s</c> lives in table <c>s mod count</c>: Azurite's cost per write grows with the entities
/// of the table it writes to.
/// </summary>
public sealed class AzureTableDeviceIndexStore : IDeviceIndexStore
{
    private const int MaxTransactionActions = 100;
    private static readonly string[] _columns = ["RowKey", "Hostname", "Os", "MfaDesired", "MfaStatus", "Online", "LastSeen", "MfaReason", "Decommissioned", "PolicyVersion"];
    private readonly (TableClient Table, TableCreation Creation)[] _tables;

    public AzureTableDeviceIndexStore(params IReadOnlyList<TableClient> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentOutOfRangeException.ThrowIfZero(tables.Count);
        _tables = [.. tables.Select(t => (t, new TableCreation(t)))];
    }

    public async Task<IReadOnlyList<DeviceRow>> ReadAsync(string orgId, int shard, CancellationToken cancellationToken = default)
    {
        var partition = PartitionKey(orgId, shard);
        var table = await TableAsync(shard, cancellationToken);
        var rows = new List<DeviceRow>();
        await foreach (var entity in table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {partition}"), select: _columns, cancellationToken: cancellationToken))
        {
            rows.Add(ToRow(entity));
        }

        return rows;
    }

    public async Task WriteAsync(string orgId, int shard, IReadOnlyCollection<DeviceRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var partition = PartitionKey(orgId, shard);
        var table = await TableAsync(shard, cancellationToken);
        foreach (var chunk in rows.Chunk(MaxTransactionActions))
        {
            await table.SubmitTransactionAsync(
                chunk.Select(row => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(partition, row))),
                cancellationToken);
        }
    }

    public async Task DeleteAsync(string orgId, int shard, string deviceId, CancellationToken cancellationToken = default)
    {
        var partition = PartitionKey(orgId, shard);
        var table = await TableAsync(shard, cancellationToken);

        // Deleting an entity that is not there answers 404, which the client does not throw for.
        await table.DeleteEntityAsync(partition, Slug.Require(deviceId, "deviceId"), Azure.ETag.All, cancellationToken);
    }

    private async Task<TableClient> TableAsync(int shard, CancellationToken cancellationToken)
    {
        var (table, creation) = _tables[shard % _tables.Length];
        await creation.EnsureAsync(cancellationToken);
        return table;
    }

    private static string PartitionKey(string orgId, int shard)
    {
        Slug.Require(orgId, "orgId");
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, GrainKeys.DeviceIndexShards);
        return $"{orgId}:{shard:D2}";
    }

    private static TableEntity ToEntity(string partition, DeviceRow row)
    {
        var entity = new TableEntity(partition, Slug.Require(row.DeviceId, "deviceId"))
        {
            ["Hostname"] = row.Hostname,
            ["Os"] = row.Os.ToString(),
            ["MfaDesired"] = row.MfaDesired,
            ["MfaStatus"] = row.MfaStatus.ToString(),
            ["Online"] = row.Online,
        };
        if (row.LastSeen is { } lastSeen)
        {
            entity["LastSeen"] = lastSeen.ToUniversalTime();
        }

        if (row.MfaReason is { } reason)
        {
            entity["MfaReason"] = reason;
        }

        if (row.Decommissioned)
        {
            entity["Decommissioned"] = true;
        }

        if (row.PolicyVersion != 0)
        {
            entity["PolicyVersion"] = row.PolicyVersion;
        }

        return entity;
    }

    private static DeviceRow ToRow(TableEntity e) => new(
        e.RowKey,
        e.GetString("Hostname") ?? "",
        Parse<DeviceOs>(e, "Os"),
        e.GetBoolean("MfaDesired") ?? false,
        Parse<MfaStatus>(e, "MfaStatus"),
        e.GetBoolean("Online") ?? false,
        e.GetDateTimeOffset("LastSeen"),
        e.GetString("MfaReason"),
        e.GetBoolean("Decommissioned") ?? false,
        e.GetInt64("PolicyVersion") ?? 0);

    private static TEnum Parse<TEnum>(TableEntity e, string column)
        where TEnum : struct, Enum =>
        Enum.TryParse<TEnum>(e.GetString(column), ignoreCase: false, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InvalidDataException($"Index row '{e.PartitionKey}/{e.RowKey}' has no valid {column}.");
}
