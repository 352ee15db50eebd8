using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Rollouts;

public sealed partial class RolloutGrain
{
    [LoggerMessage(1400, LogLevel.Information, "Rollout {OrgId}/{RolloutId} started: {Action} on {Devices} devices by {CreatedBy}")]
    private static partial void LogStarted(ILogger logger, string orgId, string rolloutId, RolloutAction action, int devices, string createdBy);

    [LoggerMessage(1401, LogLevel.Warning, "Rollout {OrgId}/{RolloutId} aborted: {Failed} of {Finished} finished devices failed or were rejected (threshold {Threshold} %)")]
    private static partial void LogAborted(ILogger logger, string orgId, string rolloutId, int failed, int finished, int threshold);

    [LoggerMessage(1402, LogLevel.Information, "Rollout {OrgId}/{RolloutId} {Status}: {Succeeded} succeeded, {Rejected} rejected, {Failed} failed")]
    private static partial void LogFinished(ILogger logger, string orgId, string rolloutId, RolloutStatus status, int succeeded, int rejected, int failed);
}
