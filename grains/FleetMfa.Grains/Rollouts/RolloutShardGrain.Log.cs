using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Rollouts;

public sealed partial class RolloutShardGrain
{
    [LoggerMessage(1500, LogLevel.Debug, "Rollout {OrgId}/{RolloutId} shard {Shard} started with {Devices} devices")]
    private static partial void LogShardStarted(ILogger logger, string orgId, string rolloutId, int shard, int devices);

    [LoggerMessage(1501, LogLevel.Information, "Rollout {OrgId}/{RolloutId} shard {Shard} stops starting devices (aborted)")]
    private static partial void LogShardAborted(ILogger logger, string orgId, string rolloutId, int shard);

    [LoggerMessage(1502, LogLevel.Debug, "Rollout {OrgId}/{RolloutId} shard {Shard} finished: {Succeeded} succeeded, {Rejected} rejected, {Failed} failed")]
    private static partial void LogShardFinished(ILogger logger, string orgId, string rolloutId, int shard, int succeeded, int rejected, int failed);

    [LoggerMessage(1503, LogLevel.Warning, "Rollout {OrgId}/{RolloutId} could not reach device {DeviceId}; it is asked again")]
    private static partial void LogDeviceUnreachable(ILogger logger, string orgId, string rolloutId, string deviceId, Exception exception);

    [LoggerMessage(1504, LogLevel.Warning, "Rollout {OrgId}/{RolloutId} shard {Shard} could not report its counts")]
    private static partial void LogReportFailed(ILogger logger, string orgId, string rolloutId, int shard, Exception exception);
}
