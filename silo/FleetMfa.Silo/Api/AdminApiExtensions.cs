using System.Text.Json;
using System.Text.Json.Serialization;
using FleetMfa.Silo.Api.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;

namespace FleetMfa.Silo.Api;

public static class AdminApiExtensions
{
    /// <summary>Largest request body the admin API reads; every documented request is far smaller.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static readonly PathString OpenApiPath = "/openapi";

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
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = AddCodeToBareStatus);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddSingleton<ApiKeyAuthenticator>();
        builder.Services.AddSingleton<Auditing.OperatorAuditRecorder>();
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

    /// <summary>
    /// Gives a <c>code</c> to the problem bodies ASP.NET Core writes for bare status codes. DESIGN §8 makes malformed
    /// requests — including an oversized body (413) or one that is not JSON (415) — 400 <c>validation</c> problems.
    /// </summary>
    private static void AddCodeToBareStatus(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Extensions.ContainsKey("code"))
        {
            return;
        }

        var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
        var code = status switch
        {
            StatusCodes.Status401Unauthorized => Grains.ErrorCodes.Unauthorized,
            StatusCodes.Status403Forbidden => Grains.ErrorCodes.Forbidden,
            StatusCodes.Status404NotFound => Grains.ErrorCodes.NotFound,
            >= 400 and < 500 => Grains.ErrorCodes.Validation,
            _ => Grains.ErrorCodes.Internal,
        };
        if (status is StatusCodes.Status413PayloadTooLarge or StatusCodes.Status415UnsupportedMediaType or StatusCodes.Status405MethodNotAllowed)
        {
            context.ProblemDetails.Detail = status switch
            {
                StatusCodes.Status413PayloadTooLarge => $"The request body is larger than this route takes ({MaxRequestBodyBytes} bytes; {RolloutsApi.MaxRequestBodyBytes} for a rollout).",
                StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
                _ => "This route does not take that method.",
            };
            context.ProblemDetails.Status = StatusCodes.Status400BadRequest;
            context.ProblemDetails.Title = "The request is not valid.";
            context.HttpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        context.ProblemDetails.Extensions["code"] = code;
    }

    /// <summary>Routes that take larger bodies (a rollout's device ids) say so with a request size limit in their metadata.</summary>
    private static Task ApplyRouteBodyLimit(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { } limit &&
            context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit.MaxRequestBodySize;
        }

        return next(context);
    }

    public static WebApplication MapAdminApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();

        // Errors raised below the endpoints (oversized or non-JSON bodies, unknown routes) get a problem body with a code too.
        app.UseStatusCodePages();
        app.Use(ApplyRouteBodyLimit);
        // DESIGN §8: the OpenAPI document is part of the admin API, so it takes the admin key.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(OpenApiPath), area => area.UseMiddleware<AdminAreaMiddleware>());
        app.MapOpenApi($"{OpenApiPath}/{{documentName}}.json");
        app.MapHealthApi();
        app.MapOrgsApi();
        app.MapDevicesApi();
        app.MapUsersApi();
        app.MapRolloutsApi();
        app.MapAgentApi();
        app.MapAuditApi();
        return app;
    }
}
