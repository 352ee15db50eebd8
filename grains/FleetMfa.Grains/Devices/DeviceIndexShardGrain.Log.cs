using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Devices;

public sealed partial class DeviceIndexShardGrain
{
    [LoggerMessage(1200, LogLevel.Debug, "Index shard {Shard} handed policy version {PolicyVersion} to {Devices} devices")]
    private static partial void LogPolicyFannedOut(ILogger logger, string shard, long policyVersion, int devices);
}
