namespace FleetMfa.Grains.Audit;

/// <summary>
/// The durable, append-only audit trail of every org. Records are spread over one storage partition per org and day,
/// so no org — however many devices it has — ever lands in one grain state or one storage row.
/// </summary>
public interface IAuditLog
{
    /// <summary>
    /// Stores <paramref name="entries"/>; a record whose (org, time, id) is already stored is left as it was
    /// (insert-or-ignore, so a redelivered MQTT message changes nothing). Returns the records that were new.
    /// </summary>
    Task<IReadOnlyList<AuditEntry>> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores <paramref name="entry"/> in place of the record with the same (org, time, id), or as a new one: an
    /// operator action's outcome replacing the <c>started</c> record written before the action ran.
    /// </summary>
    Task ReplaceAsync(AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> records of <paramref name="orgId"/>, newest first, after <paramref name="cursor"/>
    /// (a previous page's <see cref="AuditPage.NextCursor"/>). A cursor that is malformed or belongs to another org is a
    /// <c>validation</c> error.
    /// </summary>
    Task<AuditPage> ReadAsync(string orgId, string? cursor, int limit, CancellationToken cancellationToken = default);
}
