namespace FleetMfa.Silo.Api.Events;

public sealed partial class OrgEventFeed
{
    [LoggerMessage(1, LogLevel.Debug, "Event stream opened for org {OrgId}")]
    private static partial void LogStreamOpened(ILogger logger, string orgId);

    [LoggerMessage(2, LogLevel.Debug, "Event stream closed for org {OrgId}")]
    private static partial void LogStreamClosed(ILogger logger, string orgId);

    [LoggerMessage(3, LogLevel.Warning, "Event stream poll for org {OrgId} failed ({Error}); retrying on the next tick")]
    private static partial void LogPollFailed(ILogger logger, string orgId, string error);
}
