using FleetMfa.Silo.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Runtime;

namespace FleetMfa.Silo.Api;

/// <summary><c>GET /healthz</c>: 200 when the silo is active and storage answers; 503 with the failing part otherwise.</summary>
public static class HealthApi
{
    public static IEndpointConventionBuilder MapHealthApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", CheckAsync).WithName("Health").WithTags("Health");

    private static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> CheckAsync(
        StorageProbe storage, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var storageUp = await storage.IsReachableAsync(cancellationToken);
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken);
        var report = new HealthReport(storageUp && hosts.Count > 0 ? "healthy" : "unhealthy", storageUp ? "up" : "down", hosts.Count);
        return report.Status == "healthy"
            ? TypedResults.Ok(report)
            : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
