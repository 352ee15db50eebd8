namespace FleetMfa.Silo.Api.Responses;

/// <summary>A page of the audit trail, newest first; pass <see cref="NextCursor"/> as <c>cursor</c> for the next one.</summary>
public sealed record AuditPageResponse(IReadOnlyList<AuditItemResponse> Items, string? NextCursor);
