using System.Globalization;
using System.Threading.RateLimiting;
using FleetMfa.Grains;
using FleetMfa.Grains.Diagnostics;
using FleetMfa.Silo.Api.Auth;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Api.Limits;

public static class RateLimitHostingExtensions
{
    /// <summary>
    /// Binds <see cref="RateLimitOptions"/> (checked at start: a limit that is not positive is a configuration error,
    /// exit 2), the limiters, the org lookup keys are checked against, and ASP.NET Core's rate limiter with a 429
    /// problem (<c>rate-limited</c>) and <c>Retry-After</c>.
    /// </summary>
    public static WebApplicationBuilder AddFleetRateLimits(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName)
            .Validate(o => o.IsValid(), $"Rate limits (FleetMfa:RateLimits, FLEETMFA_RATE_LIMIT_*) must be between 1 and {RateLimitOptions.MaxLimit}, UnknownOrgCacheTime at most 5 minutes, and FLEETMFA_TRUSTED_PROXIES addresses or CIDR networks separated by commas.")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<RateLimitOptions>>((forwarded, limits) =>
        {
            // Only the proxies configured, not ASP.NET Core's default (loopback): a header from anyone else is ignored.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            forwarded.ForwardLimit = 1;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            if (limits.Value.TryParseTrustedProxies(out var addresses, out var networks))
            {
                addresses.ForEach(forwarded.KnownProxies.Add);
                networks.ForEach(forwarded.KnownIPNetworks.Add);
            }
        });
        builder.Services.AddSingleton<ApiRateLimits>();
        builder.Services.AddSingleton<KnownOrgs>();
        builder.Services.AddSingleton<AuthRefusals>();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<ApiRateLimits, FleetMetrics>((options, limits, metrics) =>
        {
            options.GlobalLimiter = limits.Requests;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, _) =>
            {
                metrics.RateLimited();
                return new ValueTask(RateLimitedAsync(context.HttpContext, context.Lease));
            };
        });
        return builder;
    }

    /// <summary>Every request to the admin API (<c>/api</c>, agent enrollment included), <c>/openapi</c>, <c>/metrics</c> and <c>/dashboard</c> passes the limiter; <c>/healthz</c> and the dashboard's static files do not.</summary>
    public static WebApplication UseFleetRateLimits(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Before everything that reads the client address (the limits, the audit trail's refusals). With no trusted
        // proxy configured it trusts nobody and changes nothing.
        app.UseForwardedHeaders();

        app.UseWhen(IsLimited, area => area.UseRateLimiter());
        return app;
    }

    public static bool IsLimited(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path;
        return path.StartsWithSegments("/api") || path.StartsWithSegments(AdminApiExtensions.OpenApiPath) ||
            path.StartsWithSegments(Hosting.ObservabilityHostingExtensions.MetricsPath) || path.StartsWithSegments(Hosting.ObservabilityHostingExtensions.DashboardPath);
    }

    /// <summary>Writes the 429 problem with <c>Retry-After</c> (whole seconds, at least 1) from <paramref name="lease"/>.</summary>
    public static Task RateLimitedAsync(HttpContext context, RateLimitLease lease)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(lease);
        var seconds = RetryAfterSeconds(lease);
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.For(ErrorCodes.RateLimited, $"Too many requests from this address or with this key; retry in {seconds} s.").ExecuteAsync(context);
    }

    /// <summary>When to come back, in whole seconds (at least 1): the lease's <see cref="MetadataName.RetryAfter"/>, else 1.</summary>
    public static int RetryAfterSeconds(RateLimitLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
    }
}
