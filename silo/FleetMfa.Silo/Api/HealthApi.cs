using FleetMfa.Silo.Hosting;
using FleetMfa.Silo.Mqtt;
using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.Runtime;

namespace FleetMfa.Silo.Api;

/// <summary>
/// <c>GET /healthz</c>: 200 when the silo is active, its reminder service has loaded, storage answers and the MQTT
/// bridge is connected; 503 with the failing part otherwise.
/// </summary>
public static class HealthApi
{
    public static IEndpointConventionBuilder MapHealthApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", CheckAsync).WithName("Health").WithTags("Health");

    private static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> CheckAsync(
        StorageProbe storage, MqttBridge broker, ReminderServiceMonitor reminders, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var storageUp = await storage.IsReachableAsync(cancellationToken);
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken);
        var healthy = storageUp && broker.IsConnected && reminders.IsStarted && hosts.Count > 0;
        var report = new HealthReport(
            healthy ? "healthy" : "unhealthy",
            storageUp ? "up" : "down",
            broker.IsConnected ? "up" : "down",
            reminders.IsStarted ? "up" : "starting",
            hosts.Count);
        return report.Status == "healthy"
            ? TypedResults.Ok(report)
            : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
