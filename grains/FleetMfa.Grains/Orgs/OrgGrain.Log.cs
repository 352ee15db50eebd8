using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Orgs;

public sealed partial class OrgGrain
{
    [LoggerMessage(1000, LogLevel.Information, "Org {OrgId} created")]
    private static partial void LogOrgCreated(ILogger logger, string orgId);

    [LoggerMessage(1001, LogLevel.Information, "Org {OrgId} TOTP switched {Enabled} (policy version {PolicyVersion})")]
    private static partial void LogTotpSwitched(ILogger logger, string orgId, bool enabled, long policyVersion);

    [LoggerMessage(1002, LogLevel.Information, "Org {OrgId} operator key {KeyId} created")]
    private static partial void LogApiKeyCreated(ILogger logger, string orgId, string keyId);

    [LoggerMessage(1003, LogLevel.Information, "Org {OrgId} connect key {KeyId} created")]
    private static partial void LogConnectKeyCreated(ILogger logger, string orgId, string keyId);

    [LoggerMessage(1004, LogLevel.Information, "Org {OrgId} connect key {KeyId} revoked")]
    private static partial void LogConnectKeyRevoked(ILogger logger, string orgId, string keyId);

    [LoggerMessage(1005, LogLevel.Information, "Org {OrgId} policy version {PolicyVersion} reached every device with MFA on")]
    private static partial void LogPolicyFannedOut(ILogger logger, string orgId, long policyVersion);

    [LoggerMessage(1006, LogLevel.Information, "Org {OrgId} policy version {PolicyVersion} is not stored by every index shard yet after the switch request returned; the reminder finishes it")]
    private static partial void LogFanOutContinues(ILogger logger, string orgId, long policyVersion);

    [LoggerMessage(1007, LogLevel.Warning, "Org {OrgId} could not hand policy version {PolicyVersion} to every index shard yet; the reminder retries")]
    private static partial void LogFanOutIncomplete(ILogger logger, string orgId, long policyVersion, Exception exception);

    [LoggerMessage(1008, LogLevel.Information, "Org {OrgId} operator key {KeyId} revoked")]
    private static partial void LogApiKeyRevoked(ILogger logger, string orgId, string keyId);

    [LoggerMessage(1009, LogLevel.Information, "Org {OrgId} policy version {PolicyVersion} was stored and not confirmed by every index shard before the last activation went; its fan-out carries on")]
    private static partial void LogFanOutResumed(ILogger logger, string orgId, long policyVersion);
}
