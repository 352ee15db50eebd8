using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Devices;

public sealed partial class DeviceGrain
{
    [LoggerMessage(1100, LogLevel.Information, "Device {OrgId}/{DeviceId} registered ({Os})")]
    private static partial void LogRegistered(ILogger logger, string orgId, string deviceId, DeviceOs os);

    [LoggerMessage(1101, LogLevel.Information, "Device {OrgId}/{DeviceId} MFA switched {Enabled} (desired version {DesiredVersion})")]
    private static partial void LogMfaSwitched(ILogger logger, string orgId, string deviceId, bool enabled, long desiredVersion);

    [LoggerMessage(1102, LogLevel.Information, "Device {OrgId}/{DeviceId} enrolled its agent")]
    private static partial void LogAgentEnrolled(ILogger logger, string orgId, string deviceId);

    [LoggerMessage(1103, LogLevel.Debug, "Device {OrgId}/{DeviceId} desired state {Version} published (mfa {Mfa}, {Users} users)")]
    private static partial void LogDesiredPublished(ILogger logger, string orgId, string deviceId, long version, bool mfa, int users);

    [LoggerMessage(1104, LogLevel.Warning, "Device {OrgId}/{DeviceId} desired state {Version} could not be published again")]
    private static partial void LogPublishFailed(ILogger logger, string orgId, string deviceId, long version, Exception exception);

    [LoggerMessage(1105, LogLevel.Warning, "Device {OrgId}/{DeviceId} report dropped: {Problem}")]
    private static partial void LogReportDropped(ILogger logger, string orgId, string deviceId, string problem);

    [LoggerMessage(1106, LogLevel.Information, "Device {OrgId}/{DeviceId} MFA status {Status} (applied version {AppliedVersion})")]
    private static partial void LogStatusChanged(ILogger logger, string orgId, string deviceId, MfaStatus status, long appliedVersion);

    [LoggerMessage(1107, LogLevel.Warning, "Device {OrgId}/{DeviceId} audit batch dropped ({Bytes} bytes)")]
    private static partial void LogAuditDropped(ILogger logger, string orgId, string deviceId, int bytes);

    [LoggerMessage(1108, LogLevel.Information, "Device {OrgId}/{DeviceId} uploaded {Events} audit events: {Stored} stored ({Late} late), {Invalid} invalid dropped, the rest already stored")]
    private static partial void LogAuditReceived(ILogger logger, string orgId, string deviceId, int events, int stored, int late, int invalid);

    [LoggerMessage(1109, LogLevel.Warning, "Device {OrgId}/{DeviceId} could not update its index row")]
    private static partial void LogIndexSyncFailed(ILogger logger, string orgId, string deviceId, Exception exception);

    [LoggerMessage(1110, LogLevel.Warning, "Device {OrgId}/{DeviceId} could not carry out {Effect}; retrying")]
    private static partial void LogEffectFailed(ILogger logger, string orgId, string deviceId, DeviceEffectKind effect, Exception exception);

    [LoggerMessage(1111, LogLevel.Warning, "Device {OrgId}/{DeviceId} decommissioned (wipe requested with desired version {Version}; revoked at once: {Revoked})")]
    private static partial void LogDecommissioned(ILogger logger, string orgId, string deviceId, long version, bool revoked);

    [LoggerMessage(1112, LogLevel.Warning, "Device {OrgId}/{DeviceId} revoked: its MQTT credentials are invalid for good (wipe acknowledged: {WipeAcknowledged})")]
    private static partial void LogRevoked(ILogger logger, string orgId, string deviceId, bool wipeAcknowledged);

    [LoggerMessage(1113, LogLevel.Information, "Device {OrgId}/{DeviceId} forgotten: its decommission record's retention is over")]
    private static partial void LogForgotten(ILogger logger, string orgId, string deviceId);

    [LoggerMessage(1114, LogLevel.Warning, "Device {OrgId}/{DeviceId} could not acknowledge user {UserId}'s update; the user sends it again")]
    private static partial void LogUserAckFailed(ILogger logger, string orgId, string deviceId, string userId, Exception exception);

    [LoggerMessage(1115, LogLevel.Warning, "Device {OrgId}/{DeviceId} could not take org policy version {PolicyVersion}; its index shard sends it again")]
    private static partial void LogPolicyNotTaken(ILogger logger, string orgId, string deviceId, long policyVersion, Exception exception);

    [LoggerMessage(1116, LogLevel.Information, "Device {OrgId}/{DeviceId} renewed its MQTT client certificate: serial {Serial}, valid until {NotAfter:u}")]
    private static partial void LogCertificateRenewed(ILogger logger, string orgId, string deviceId, string serial, DateTimeOffset notAfter);
}
