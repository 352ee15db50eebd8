using Microsoft.Extensions.Logging;

namespace FleetMfa.Agent.Daemon;

public sealed partial class AgentDaemon
{
    [LoggerMessage(1, LogLevel.Information, "connected to {Host}:{Port} as {OrgId}/{DeviceId}")]
    private static partial void LogConnected(ILogger logger, string host, int port, string orgId, string deviceId);

    [LoggerMessage(2, LogLevel.Warning, "broker {Host}:{Port} not reachable, retrying in {Seconds:F1} s: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string host, int port, double seconds, string reason);

    [LoggerMessage(3, LogLevel.Information, "applied desired state version {Version} (mfa {Mfa}, {Users} users)")]
    private static partial void LogApplied(ILogger logger, long version, bool mfa, int users);

    [LoggerMessage(4, LogLevel.Warning, "desired state version {Version} not applied: {Reason}")]
    private static partial void LogApplyFailed(ILogger logger, long version, string reason);

    [LoggerMessage(5, LogLevel.Warning, "ignored a message on {Topic} ({Bytes} bytes)")]
    private static partial void LogIgnoredMessage(ILogger logger, string topic, long bytes);


    [LoggerMessage(7, LogLevel.Information, "uploaded {Count} audit events; they stay queued until the control plane's receipt")]
    private static partial void LogAuditUploaded(ILogger logger, int count);

    [LoggerMessage(13, LogLevel.Information, "the control plane stored {Dropped} queued audit events (its receipt named {Named})")]
    private static partial void LogAuditStored(ILogger logger, int dropped, int named);

    [LoggerMessage(8, LogLevel.Warning, "could not say goodbye to the broker: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string reason);

    [LoggerMessage(9, LogLevel.Information, "subscribed to the desired state of {OrgId}/{DeviceId}")]
    private static partial void LogSubscribed(ILogger logger, string orgId, string deviceId);

    [LoggerMessage(10, LogLevel.Warning, "the OS policy had drifted and was repaired: {Repairs}")]
    private static partial void LogPolicyRepaired(ILogger logger, string repairs);

    [LoggerMessage(11, LogLevel.Error, "the OS policy of version {Version} is not in effect: {Problem}")]
    private static partial void LogPolicyNotEffective(ILogger logger, long version, string problem);

    [LoggerMessage(12, LogLevel.Information, "the OS policy of version {Version} is in effect again")]
    private static partial void LogPolicyInEffectAgain(ILogger logger, long version);

    [LoggerMessage(14, LogLevel.Warning, "refused an untrusted desired state ({Reason}, {Bytes} bytes); {Count} refused since the daemon started")]
    private static partial void LogUntrustedDesired(ILogger logger, string reason, long bytes, long count);

    [LoggerMessage(16, LogLevel.Information, "the control plane's signing key {Previous} endorsed {Pinned}: {Pinned} is pinned now")]
    private static partial void LogRepinned(ILogger logger, string previous, string pinned);

    [LoggerMessage(18, LogLevel.Warning, "ignored an audit receipt that is not signed for this device ({Bytes} bytes): its events stay queued")]
    private static partial void LogUntrustedReceipt(ILogger logger, long bytes);

    [LoggerMessage(28, LogLevel.Warning, "decommissioned (version {Version}): the queued login records are sent first; the wipe waits for their receipt, at most {Seconds:F0} s")]
    private static partial void LogWipeWaitsForAudit(ILogger logger, long version, double seconds);

    [LoggerMessage(29, LogLevel.Warning, "could not send the queued login records before the wipe: {Reason}; the daemon sends them again until the deadline")]
    private static partial void LogAuditBeforeWipeFailed(ILogger logger, string reason);

    [LoggerMessage(17, LogLevel.Error, "could not pin the control plane's new signing key {Pinned}: {Problem}")]
    private static partial void LogRepinFailed(ILogger logger, string pinned, string problem);

    [LoggerMessage(15, LogLevel.Warning, "could not queue an audit event: {Reason}")]
    private static partial void LogAuditNotQueued(ILogger logger, string reason);

    [LoggerMessage(16, LogLevel.Warning, "decommissioned (version {Version}): {Changes} OS changes restored, the store deleted ({Dropped} audit events not uploaded went with it); stopping")]
    private static partial void LogWiped(ILogger logger, long version, int changes, int dropped);

    [LoggerMessage(17, LogLevel.Error, "decommission (version {Version}) refused: the OS files could not be restored ({Reason}); the store is kept")]
    private static partial void LogWipeFailed(ILogger logger, long version, string reason);

    [LoggerMessage(30, LogLevel.Information, "MQTT client certificate renewed, valid until {NotAfter:u}; used from the next connect")]
    private static partial void LogRenewed(ILogger logger, DateTimeOffset notAfter);

    [LoggerMessage(31, LogLevel.Warning, "MQTT client certificate renewal failed, trying again in {Minutes} min (the current one works until it expires): {Reason}")]
    private static partial void LogRenewalFailed(ILogger logger, double minutes, string reason);
}
