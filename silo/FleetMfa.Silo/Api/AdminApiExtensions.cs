using System.Text.Json;
using System.Text.Json.Serialization;
using FleetMfa.Silo.Api.Auth;
using Microsoft.AspNetCore.Routing;

namespace FleetMfa.Silo.Api;

public static class AdminApiExtensions
{
    /// <summary>Largest request body the admin API reads; every documented request is far smaller.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static WebApplicationBuilder AddFleetAdminApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
        });
        builder.Services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddSingleton<ApiKeyAuthenticator>();
        builder.Services.AddOpenApi();
        return builder;
    }

    /// <summary>camelCase, kebab-case enums, and strict input: unknown members, numbers for enums and missing required members are errors.</summary>
    public static void ConfigureJson(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.MaxDepth = 16;
    }

    public static WebApplication MapAdminApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapHealthApi();
        app.MapOrgsApi();
        app.MapDevicesApi();
        app.MapUsersApi();
        app.MapAgentApi();
        return app;
    }
}
