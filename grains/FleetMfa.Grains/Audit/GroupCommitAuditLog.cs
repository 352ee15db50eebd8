namespace FleetMfa.Grains.Audit;

/// <summary>
/// Group commit for the audit trail: records appended while a write is in flight go to storage together in the next
/// write, so a thousand concurrent admin calls or agent uploads cost a few entity-group transactions (one per org and
/// day for up to 100 records) rather than one request each. A lone append is written at once. Every caller still
/// returns only once its records are stored, with the ones that were new.
/// </summary>
/// <param name="inner">The log that stores the records.</param>
public sealed class GroupCommitAuditLog(IAuditLog inner) : IAuditLog
{
    /// <summary>The most records one write carries; callers beyond it wait for the next.</summary>
    internal const int MaxRecordsPerWrite = 1_000;

    private readonly Lock _gate = new();
    private readonly Queue<Append> _queue = new();
    private bool _writing;

    public Task<IReadOnlyList<AuditEntry>> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            // Here, not in the shared write: one caller's bad record must not fail the others'.
            AuditRules.RequireValid(entry);
        }

        if (entries.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<AuditEntry>>([]);
        }

        var append = new Append(entries, new TaskCompletionSource<IReadOnlyList<AuditEntry>>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            _queue.Enqueue(append);
            if (!_writing)
            {
                _writing = true;

                // On the thread pool: a grain that appends must not carry the writer on its own scheduler.
                _ = Task.Run(WriteLoopAsync, CancellationToken.None);
            }
        }

        return append.Stored.Task.WaitAsync(cancellationToken);
    }

    public Task<AuditPage> ReadAsync(string orgId, string? cursor, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(orgId, cursor, limit, cancellationToken);

    /// <summary>One record, written at once: an outcome follows its own <c>started</c> record, never a batch.</summary>
    public Task ReplaceAsync(AuditEntry entry, CancellationToken cancellationToken = default) => inner.ReplaceAsync(entry, cancellationToken);

    private async Task WriteLoopAsync()
    {
        while (Next() is { Count: > 0 } batch)
        {
            try
            {
                var added = await inner.AppendAsync([.. batch.SelectMany(a => a.Entries)], CancellationToken.None);

                // By reference, and each once: records are values, and callers may hand in equal ones (a redelivered
                // upload) or the same one twice; a stored record is new to the first that handed in the object the
                // inner log returned.
                var isNew = new HashSet<AuditEntry>(added, ReferenceEqualityComparer.Instance);
                foreach (var append in batch)
                {
                    append.Stored.TrySetResult([.. append.Entries.Where(isNew.Remove)]);
                }
            }
            catch (Exception ex)
            {
                foreach (var append in batch)
                {
                    append.Stored.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>The appends of the next write, or none (and the writer stops) when the queue is empty.</summary>
    private List<Append> Next()
    {
        lock (_gate)
        {
            var batch = new List<Append>();
            var records = 0;
            while (_queue.TryPeek(out var next) && (batch.Count == 0 || records + next.Entries.Count <= MaxRecordsPerWrite))
            {
                batch.Add(_queue.Dequeue());
                records += next.Entries.Count;
            }

            _writing = batch.Count > 0;
            return batch;
        }
    }

    private sealed record Append(IReadOnlyList<AuditEntry> Entries, TaskCompletionSource<IReadOnlyList<AuditEntry>> Stored);
}
