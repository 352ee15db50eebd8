using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Devices;

public sealed partial class DeviceIndexShardGrain
{
    [LoggerMessage(1200, LogLevel.Debug, "Index shard {Shard}: every device with MFA on acknowledged policy version {PolicyVersion}")]
    private static partial void LogPolicyFannedOut(ILogger logger, string shard, long policyVersion);

    [LoggerMessage(1201, LogLevel.Warning, "Index shard {Shard} could not store that policy version {PolicyVersion} reached all its devices; it tries again")]
    private static partial void LogFanOutNotRecorded(ILogger logger, string shard, long policyVersion, Exception exception);

    [LoggerMessage(1202, LogLevel.Warning, "Index shard {Shard} found its stored state changed by another writer and merged it (policy version {PolicyVersion})")]
    private static partial void LogMergedAfterConflict(ILogger logger, string shard, long policyVersion);

    [LoggerMessage(1204, LogLevel.Warning, "Index shard {Shard} took {Rows} rows that another writer stored after this activation read the index")]
    private static partial void LogReconciled(ILogger logger, string shard, int rows);

    [LoggerMessage(1205, LogLevel.Warning, "Index shard {Shard} could not re-read its rows; it keeps those it has")]
    private static partial void LogReconcileFailed(ILogger logger, string shard, Exception exception);

    [LoggerMessage(1206, LogLevel.Information, "Index shard {Shard} sent policy version {PolicyVersion} again to {Devices} devices that did not acknowledge it in time")]
    private static partial void LogPolicyResent(ILogger logger, string shard, long policyVersion, int devices);
}
