using Azure;
using Azure.Data.Tables;
using FleetMfa.Grains.Internal;

namespace FleetMfa.Grains.Audit;

/// <summary>
/// The audit trail in one Azure Table (<c>FleetMfaAudit</c> by default): partition <c>{orgId}:{inverted day}</c>, row
/// <c>{inverted ticks}_{id}</c>, so a range query over an org's partitions reads newest first and a page is one
/// continuation away from the next. Records are only ever inserted: a batch goes in one entity-group transaction per
/// partition, and when a record is already there (a redelivered upload) it falls back to one insert per record,
/// ignoring those that exist. The one exception is an operator action's outcome, which replaces its <c>started</c>
/// record.
/// </summary>
public sealed class AzureTableAuditLog(TableClient table) : IAuditLog
{
    private const int MaxTransactionActions = 100;
    private readonly TableCreation _creation = new(table);

    public async Task<IReadOnlyList<AuditEntry>> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            AuditRules.RequireValid(entry);
        }

        await _creation.EnsureAsync(cancellationToken);
        var added = new List<AuditEntry>(entries.Count);
        var rows = entries
            .Select(e => (Entry: e, Entity: ToEntity(e)))
            .DistinctBy(r => (r.Entity.PartitionKey, r.Entity.RowKey))
            .GroupBy(r => r.Entity.PartitionKey, StringComparer.Ordinal);
        foreach (var partition in rows)
        {
            foreach (var chunk in partition.Chunk(MaxTransactionActions))
            {
                added.AddRange(await InsertAsync(chunk, cancellationToken));
            }
        }

        return added;
    }

    public async Task ReplaceAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        AuditRules.RequireValid(entry);
        await _creation.EnsureAsync(cancellationToken);
        await table.UpsertEntityAsync(ToEntity(entry), TableUpdateMode.Replace, cancellationToken);
    }

    public async Task<AuditPage> ReadAsync(string orgId, string? cursor, int limit, CancellationToken cancellationToken = default)
    {
        Slug.Require(orgId, "orgId");
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var token = AuditCursor.Decode(orgId, cursor);
        await _creation.EnsureAsync(cancellationToken);
        var (from, to) = AuditRules.PartitionRange(orgId);
        var filter = TableClient.CreateQueryFilter($"PartitionKey gt {from} and PartitionKey lt {to}");
        var items = new List<AuditEntry>(limit);
        try
        {
            while (items.Count < limit)
            {
                // One service page at a time, sized to what is still missing, so a page never has to be cut short.
                var wanted = limit - items.Count;
                Page<TableEntity>? page = null;
                await foreach (var p in table.QueryAsync<TableEntity>(filter, wanted, cancellationToken: cancellationToken).AsPages(token, wanted))
                {
                    page = p;
                    break;
                }

                items.AddRange((page?.Values ?? []).Select(ToEntry));
                token = page?.ContinuationToken;
                if (token is null)
                {
                    break;
                }
            }
        }
        catch (RequestFailedException ex) when (cursor is not null && ex.Status == 400)
        {
            throw FleetMfaException.Validation("cursor is not a cursor of this org's audit trail.");
        }

        return new AuditPage(items, token is null ? null : AuditCursor.Encode(orgId, token));
    }

    private async Task<IReadOnlyList<AuditEntry>> InsertAsync((AuditEntry Entry, TableEntity Entity)[] rows, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r.Entity)), cancellationToken);
            return [.. rows.Select(r => r.Entry)];
        }
        catch (TableTransactionFailedException ex) when (ex.Status == 409)
        {
            // At least one is already stored (the transaction changed nothing): insert one by one, skipping those.
            var added = new List<AuditEntry>(rows.Length);
            foreach (var (entry, entity) in rows)
            {
                try
                {
                    await table.AddEntityAsync(entity, cancellationToken);
                    added.Add(entry);
                }
                catch (RequestFailedException conflict) when (conflict.Status == 409)
                {
                }
            }

            return added;
        }
    }

    private static TableEntity ToEntity(AuditEntry e)
    {
        var entity = new TableEntity(AuditRules.PartitionKey(e.OrgId, e.Time), AuditRules.RowKey(e.Time, e.Id))
        {
            ["OrgId"] = e.OrgId,
            ["Id"] = e.Id,
            ["Time"] = e.Time.ToUniversalTime(),
            ["Kind"] = e.Kind.ToString(),
            ["Actor"] = e.Actor,
            ["Action"] = e.Action,
            ["Target"] = e.Target,
            ["Late"] = e.Late,
            ["ReceivedAt"] = e.ReceivedAt.ToUniversalTime(),
        };
        foreach (var (name, value) in new[]
        {
            ("ActorName", e.ActorName), ("DeviceId", e.DeviceId), ("UserId", e.UserId),
            ("LocalUsername", e.LocalUsername), ("Outcome", e.Outcome), ("Detail", e.Detail),
        })
        {
            if (value is not null)
            {
                entity[name] = value;
            }
        }

        return entity;
    }

    private static AuditEntry ToEntry(TableEntity t) => new(
        t.GetString("OrgId"),
        t.GetString("Id"),
        t.GetDateTimeOffset("Time") ?? DateTimeOffset.MinValue,
        Enum.Parse<AuditKind>(t.GetString("Kind")),
        t.GetString("Actor"),
        t.GetString("ActorName"),
        t.GetString("Action"),
        t.GetString("Target"),
        t.GetString("DeviceId"),
        t.GetString("UserId"),
        t.GetString("LocalUsername"),
        t.GetString("Outcome"),
        t.GetString("Detail"),
        t.GetBoolean("Late") ?? false,
        t.GetDateTimeOffset("ReceivedAt") ?? DateTimeOffset.MinValue);

}
