using FleetMfa.Grains.Audit;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// The audit trail in memory, for unit tests only: the same keys and order as <see cref="AzureTableAuditLog"/>
/// (<see cref="AuditRules"/>), the same insert-or-ignore and cursor rules. The silo never uses it.
/// </summary>
public sealed class InMemoryAuditLog : IAuditLog
{
    private readonly SortedDictionary<(string Partition, string Row), AuditEntry> _rows = new(new KeyComparer());
    private readonly Lock _gate = new();

    public Task<IReadOnlyList<AuditEntry>> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var added = new List<AuditEntry>(entries.Count);
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                AuditRules.RequireValid(entry);
                if (_rows.TryAdd((AuditRules.PartitionKey(entry.OrgId, entry.Time), AuditRules.RowKey(entry.Time, entry.Id)), entry))
                {
                    added.Add(entry);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<AuditEntry>>(added);
    }

    public Task ReplaceAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        AuditRules.RequireValid(entry);
        lock (_gate)
        {
            _rows[(AuditRules.PartitionKey(entry.OrgId, entry.Time), AuditRules.RowKey(entry.Time, entry.Id))] = entry;
        }

        return Task.CompletedTask;
    }

    public Task<AuditPage> ReadAsync(string orgId, string? cursor, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var position = AuditCursor.Decode(orgId, cursor);
        var after = position?.Split('\n') is [var p, var r] ? (p, r) : ((string, string)?)null;
        if (position is not null && after is null)
        {
            throw Grains.FleetMfaException.Validation("cursor is not a cursor of this org's audit trail.");
        }

        var (from, to) = AuditRules.PartitionRange(orgId);
        lock (_gate)
        {
            var page = _rows
                .Where(kv => string.CompareOrdinal(kv.Key.Partition, from) > 0 && string.CompareOrdinal(kv.Key.Partition, to) < 0)
                .Where(kv => after is not { } a || Compare(kv.Key, a) > 0)
                .Take(limit + 1)
                .ToList();
            var more = page.Count > limit;
            var items = page.Take(limit).ToList();
            var next = more ? AuditCursor.Encode(orgId, $"{items[^1].Key.Partition}\n{items[^1].Key.Row}") : null;
            return Task.FromResult(new AuditPage([.. items.Select(kv => kv.Value)], next));
        }
    }

    /// <summary>Every record of <paramref name="orgId"/>, newest first.</summary>
    public IReadOnlyList<AuditEntry> All(string orgId)
    {
        var (from, to) = AuditRules.PartitionRange(orgId);
        lock (_gate)
        {
            return [.. _rows.Where(kv => string.CompareOrdinal(kv.Key.Partition, from) > 0 && string.CompareOrdinal(kv.Key.Partition, to) < 0).Select(kv => kv.Value)];
        }
    }

    private static int Compare((string Partition, string Row) a, (string Partition, string Row) b)
    {
        var partition = string.CompareOrdinal(a.Partition, b.Partition);
        return partition != 0 ? partition : string.CompareOrdinal(a.Row, b.Row);
    }

    private sealed class KeyComparer : IComparer<(string Partition, string Row)>
    {
        public int Compare((string Partition, string Row) x, (string Partition, string Row) y) => InMemoryAuditLog.Compare(x, y);
    }
}
