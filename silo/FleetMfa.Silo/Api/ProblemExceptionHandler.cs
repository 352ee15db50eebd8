using FleetMfa.Grains;
using Microsoft.AspNetCore.Diagnostics;

namespace FleetMfa.Silo.Api;

/// <summary>
/// Turns refusals into problem+json with their code, malformed requests (bad JSON, wrong types, unknown members,
/// oversized bodies) into 400 <c>validation</c>, and anything else into a 500 that reveals nothing.
/// </summary>
public sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var problem = exception switch
        {
            FleetMfaException refusal => Problems.For(refusal),
            BadHttpRequestException bad => Problems.For(ErrorCodes.Validation, BadRequestDetail(bad)),
            _ => null,
        };
        if (problem is null)
        {
            LogUnhandled(logger, httpContext.Request.Method, httpContext.Request.Path, exception);
            problem = Problems.For(ErrorCodes.Internal, "An unexpected error occurred; it has been logged.");
        }

        await problem.ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>Says what was wrong without echoing the body (which may hold a code or a key).</summary>
    private static string BadRequestDetail(BadHttpRequestException exception) =>
        exception.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large."
        : exception.InnerException is System.Text.Json.JsonException json ? $"The JSON body is not valid: {json.Message.Split(" Path:")[0]} (at {json.Path ?? "$"})."
        : exception.Message;

    [LoggerMessage(200, LogLevel.Error, "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, PathString path, Exception exception);
}
