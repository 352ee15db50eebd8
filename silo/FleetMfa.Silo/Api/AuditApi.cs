using FleetMfa.Grains.Audit;
using FleetMfa.Silo.Api.Auth;
using FleetMfa.Silo.Api.Responses;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FleetMfa.Silo.Api;

/// <summary>
/// <c>GET /api/orgs/{orgId}/audit?cursor=&amp;limit=</c>: the org's audit trail, newest first — operator actions and the
/// login decisions its devices uploaded. Read-only: nothing in the API changes or deletes a record.
/// </summary>
public static class AuditApi
{
    public static RouteHandlerBuilder MapAuditApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/orgs/{orgId}/audit", ListAsync).WithName("ListAudit").WithTags("Audit").RequireOrgAccess();

    private static async Task<Ok<AuditPageResponse>> ListAsync(
        string orgId, IAuditLog auditLog, CancellationToken cancellationToken, string? cursor = null, int? limit = null)
    {
        var page = await auditLog.ReadAsync(orgId, string.IsNullOrEmpty(cursor) ? null : cursor, AuditRules.RequireLimit(limit), cancellationToken);
        return TypedResults.Ok(new AuditPageResponse([.. page.Items.Select(AuditItemResponse.From)], page.NextCursor));
    }
}
