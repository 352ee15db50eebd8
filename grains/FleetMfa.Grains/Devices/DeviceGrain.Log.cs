using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Devices;

public sealed partial class DeviceGrain
{
    [LoggerMessage(1100, LogLevel.Information, "Device {OrgId}/{DeviceId} registered ({Os})")]
    private static partial void LogRegistered(ILogger logger, string orgId, string deviceId, DeviceOs os);

    [LoggerMessage(1101, LogLevel.Information, "Device {OrgId}/{DeviceId} MFA switched {Enabled} (desired version {DesiredVersion})")]
    private static partial void LogMfaSwitched(ILogger logger, string orgId, string deviceId, bool enabled, long desiredVersion);
}
