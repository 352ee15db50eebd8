namespace FleetMfa.Grains.Audit;

/// <summary>A page of an org's audit trail, newest first; <see cref="NextCursor"/> is opaque and null on the last page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? NextCursor);
