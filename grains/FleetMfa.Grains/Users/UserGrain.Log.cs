using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Users;

public sealed partial class UserGrain
{
    [LoggerMessage(1300, LogLevel.Information, "User {OrgId}/{UserId} started TOTP setup (secret version {SecretVersion})")]
    private static partial void LogEnrollmentStarted(ILogger logger, string orgId, string userId, int secretVersion);

    [LoggerMessage(1301, LogLevel.Information, "User {OrgId}/{UserId} completed TOTP setup (secret version {SecretVersion})")]
    private static partial void LogEnrolled(ILogger logger, string orgId, string userId, int secretVersion);

    [LoggerMessage(1302, LogLevel.Warning, "User {OrgId}/{UserId} TOTP setup confirmation rejected")]
    private static partial void LogConfirmRejected(ILogger logger, string orgId, string userId);

    [LoggerMessage(1303, LogLevel.Information, "User {OrgId}/{UserId} TOTP reset")]
    private static partial void LogReset(ILogger logger, string orgId, string userId);

    [LoggerMessage(1304, LogLevel.Warning, "User {OrgId}/{UserId} could not tell device {DeviceId} of its TOTP state; it is told again in {Seconds:F0} s")]
    private static partial void LogNotifyFailed(ILogger logger, string orgId, string userId, string deviceId, double seconds, Exception exception);

    [LoggerMessage(1305, LogLevel.Warning, "User {OrgId}/{UserId} could not remove its reminder for devices to tell; it removes itself when it fires")]
    private static partial void LogReminderNotRemoved(ILogger logger, string orgId, string userId, Exception exception);
}
