using Azure.Data.Tables;
using FleetMfa.Grains.Internal;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// The device index in one Azure Table (<c>FleetMfaDeviceIndex</c> by default): partition <c>{orgId}:{shard}</c>, row
/// <c>{deviceId}</c>, a column per <see cref="DeviceRow"/> field. A shard's changed rows go in entity-group
/// transactions of up to 100 upserts, so a burst of acks costs one request per hundred devices, and each request is
/// as small as its rows at any org size (the index used to be one grain-state blob per shard, written whole).
/// </summary>
public sealed class AzureTableDeviceIndexStore(TableClient table) : IDeviceIndexStore
{
    private const int MaxTransactionActions = 100;
    private static readonly string[] _columns = ["RowKey", "Hostname", "Os", "MfaDesired", "MfaStatus", "Online", "LastSeen", "MfaReason"];
    private readonly TableCreation _creation = new(table);

    public async Task<IReadOnlyList<DeviceRow>> ReadAsync(string orgId, int shard, CancellationToken cancellationToken = default)
    {
        var partition = PartitionKey(orgId, shard);
        await _creation.EnsureAsync(cancellationToken);
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
        await _creation.EnsureAsync(cancellationToken);
        foreach (var chunk in rows.Chunk(MaxTransactionActions))
        {
            await table.SubmitTransactionAsync(
                chunk.Select(row => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToEntity(partition, row))),
                cancellationToken);
        }
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
        e.GetString("MfaReason"));

    private static TEnum Parse<TEnum>(TableEntity e, string column)
        where TEnum : struct, Enum =>
        Enum.TryParse<TEnum>(e.GetString(column), ignoreCase: false, out var value) && Enum.IsDefined(value)
            ? value
            : throw new InvalidDataException($"Index row '{e.PartitionKey}/{e.RowKey}' has no valid {column}.");
}
