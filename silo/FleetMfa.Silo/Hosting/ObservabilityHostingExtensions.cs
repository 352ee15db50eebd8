using FleetMfa.Grains.Diagnostics;
using FleetMfa.Silo.Api.Auth;
using OpenTelemetry.Metrics;
using Orleans.Dashboard;

namespace FleetMfa.Silo.Hosting;

public static class ObservabilityHostingExtensions
{
    /// <summary>The Orleans meter (grain calls, activations, messaging, ...).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    public static readonly PathString MetricsPath = "/metrics";
    public static readonly PathString DashboardPath = "/dashboard";

    /// <summary>
    /// OpenTelemetry metrics — FleetMfa's own instruments (<see cref="FleetMetrics"/>), Orleans, ASP.NET Core/Kestrel and
    /// the .NET runtime — exported for Prometheus, and the Orleans dashboard's collectors in the silo.
    /// </summary>
    public static WebApplicationBuilder AddFleetObservability(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(FleetMetrics.MeterName, OrleansMeter)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        builder.UseOrleans(silo => silo.AddDashboard());
        return builder;
    }

    /// <summary><c>/metrics</c> (Prometheus text format) and the Orleans dashboard at <c>/dashboard</c>, both for the admin key only.</summary>
    public static WebApplication MapFleetObservability(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments(MetricsPath) || context.Request.Path.StartsWithSegments(DashboardPath),
            area => area.UseMiddleware<AdminAreaMiddleware>());
        app.MapPrometheusScrapingEndpoint(MetricsPath);

        // The instruments exist from start-up, so a scrape shows them (at 0) before the first device does anything.
        app.Services.GetRequiredService<FleetMetrics>();
        app.MapOrleansDashboard(routePrefix: DashboardPath);
        return app;
    }
}
