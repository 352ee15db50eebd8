using Microsoft.AspNetCore.Http.HttpResults;
using FleetMfa.Grains;

namespace FleetMfa.Silo.Api;

/// <summary>problem+json responses carrying the stable <c>code</c> of DESIGN §8.</summary>
public static class Problems
{
    public static int StatusFor(string code) => code switch
    {
        ErrorCodes.Validation or ErrorCodes.InvalidCode => StatusCodes.Status400BadRequest,
        ErrorCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ErrorCodes.Forbidden => StatusCodes.Status403Forbidden,
        ErrorCodes.NotFound => StatusCodes.Status404NotFound,
        ErrorCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorCodes.AuditUnavailable => StatusCodes.Status503ServiceUnavailable,
        ErrorCodes.Conflict or ErrorCodes.LinuxSshConflict or ErrorCodes.WindowsVersionUnsupported or
            ErrorCodes.MacAuthPluginConflict or ErrorCodes.EnrollmentExpired or ErrorCodes.EnrollmentNotStarted or ErrorCodes.DeviceDecommissioned => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static ProblemHttpResult For(string code, string detail) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: StatusFor(code),
            title: Title(code),
            extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ProblemHttpResult For(FleetMfaException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return For(exception.Code, exception.Message);
    }

    private static string Title(string code) => code switch
    {
        ErrorCodes.Validation => "The request is not valid.",
        ErrorCodes.Unauthorized => "Authentication required.",
        ErrorCodes.Forbidden => "Not allowed.",
        ErrorCodes.NotFound => "Not found.",
        ErrorCodes.RateLimited => "Too many requests.",
        ErrorCodes.AuditUnavailable => "The audit trail cannot be written; nothing was changed.",
        ErrorCodes.LinuxSshConflict => "SSH password login and public-key authentication are both allowed.",
        ErrorCodes.WindowsVersionUnsupported => "TOTP MFA needs Windows 10 or later.",
        ErrorCodes.MacAuthPluginConflict => "Another authorization plug-in is installed.",
        ErrorCodes.InvalidCode => "The code is not valid.",
        ErrorCodes.EnrollmentExpired => "The TOTP setup expired.",
        ErrorCodes.EnrollmentNotStarted => "No TOTP setup is waiting for confirmation.",
        ErrorCodes.Conflict => "The request conflicts with the current state.",
        ErrorCodes.DeviceDecommissioned => "The device is decommissioned.",
        _ => "Something went wrong on our side.",
    };
}
