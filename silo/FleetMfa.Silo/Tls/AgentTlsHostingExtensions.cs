using System.Net;
using System.Security.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using FleetMfa.Silo.Hosting;

namespace FleetMfa.Silo.Tls;

public static class AgentTlsHostingExtensions
{
    public static readonly PathString AgentPath = "/api/agent";

    /// <summary>What Kestrel listens on when nothing else says: the ASP.NET Core default.</summary>
    private const string DefaultUrls = "http://localhost:5000";

    /// <summary>
    /// The FleetMfa CA and the agent endpoint: an HTTPS listener on <see cref="AgentTlsOptions.Port"/> with a
    /// certificate the CA issues, beside the plain HTTP listeners of <c>urls</c> (FLEETMFA_HTTP_PORT, ASPNETCORE_URLS,
    /// --urls) for the admin API and dashboard.
    /// </summary>
    public static WebApplicationBuilder AddFleetAgentTls(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var host = builder.Configuration.GetSection(FleetMfaOptions.SectionName).Get<FleetMfaOptions>() ?? new FleetMfaOptions();
        // Certificates are judged by their peers against the wall clock: the real one, never the grains' clock (which a
        // test may shift, see ClockHostingExtensions).
        var wallClock = TimeProvider.System;
        builder.Services.AddOptions<AgentTlsOptions>().BindConfiguration(AgentTlsOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AgentTlsOptions>>(new AgentTlsValidation(host, wallClock));
        builder.Services.AddSingleton(sp => AgentCertificateAuthority.Load(sp.GetRequiredService<IOptions<AgentTlsOptions>>().Value, host, wallClock));
        builder.Services.AddSingleton(sp => new AgentServerCertificate(
            sp.GetRequiredService<FleetMfaCertificateAuthority>(), sp.GetRequiredService<IOptions<AgentTlsOptions>>(), wallClock));

        var agent = builder.Configuration.GetSection(AgentTlsOptions.SectionName).Get<AgentTlsOptions>() ?? new AgentTlsOptions();
        var urls = builder.Configuration["urls"] is { Length: > 0 } configured ? configured : DefaultUrls;
        builder.WebHost.ConfigureKestrel((_, kestrel) =>
        {
            // Listening in code replaces `urls`: its addresses are listened on here, as Kestrel would have — plain HTTP,
            // or HTTPS with the certificate of Kestrel:Certificates:Default (admin API behind Kestrel TLS, README).
            foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var address = BindingAddress.Parse(url);
                var https = string.Equals(address.Scheme, "https", StringComparison.OrdinalIgnoreCase);
                Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> configure = https ? l => l.UseHttps() : _ => { };
                if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
                {
                    kestrel.ListenLocalhost(address.Port, configure);
                }
                else if (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip))
                {
                    kestrel.Listen(ip, address.Port, configure);
                }
                else
                {
                    // *, + or a host name: every interface, as Kestrel does for them.
                    kestrel.ListenAnyIP(address.Port, configure);
                }
            }

            if (!IPAddress.TryParse(agent.BindAddress, out var bind) || agent.Port is < 1 or > 65535)
            {
                return; // refused at start by AgentTlsValidation
            }

            kestrel.Listen(bind, agent.Port, listen => listen.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = _ =>
                {
                    return ValueTask.FromResult(new System.Net.Security.SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = kestrel.ApplicationServices.GetRequiredService<AgentServerCertificate>().Current(),
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    });
                },
            }));
        });
        return builder;
    }

    /// <summary>
    /// Keeps the two listeners apart, by the connection (its local port and TLS), never by anything the client sends:
    /// the agent listener serves <c>/api/agent/*</c> alone, and the plain listeners serve everything else — the agent
    /// routes there only when <see cref="AgentTlsOptions.AllowPlaintextEnrollment"/> says so (development).
    /// </summary>
    public static WebApplication UseAgentListener(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<AgentTlsOptions>>();
        app.Use((context, next) =>
        {
            var onAgentListener = context.Connection.LocalPort == options.Value.Port && context.Features.Get<ITlsConnectionFeature>() is not null;
            var agentRoute = context.Request.Path.StartsWithSegments(AgentPath);
            if (onAgentListener == agentRoute || (agentRoute && options.Value.AllowPlaintextEnrollment))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return agentRoute
                ? Results.Problem(
                    statusCode: StatusCodes.Status404NotFound,
                    detail: $"Agents enroll over HTTPS on port {options.Value.Port} (FLEETMFA_AGENT_HTTPS_PORT); plain HTTP serves no agent route.",
                    extensions: new Dictionary<string, object?> { ["code"] = Grains.ErrorCodes.NotFound }).ExecuteAsync(context)
                : Task.CompletedTask;
        });
        return app;
    }

    /// <summary><c>GET /api/agent/ca</c>: the CA certificate (PEM) — public; an agent keeps it only if its SHA-256 is the connect key's pin.</summary>
    public static IEndpointConventionBuilder MapAgentCa(this IEndpointRouteBuilder app) =>
        app.MapGet(Protocol.Tls.PinnedCa.CaPath, (FleetMfaCertificateAuthority ca) =>
                TypedResults.Text(ca.Certificate.ExportCertificatePem() + "\n", "application/x-pem-file"))
            .WithName("GetAgentCa").WithTags("Agents");
}
