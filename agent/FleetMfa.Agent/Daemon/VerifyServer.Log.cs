using Microsoft.Extensions.Logging;

namespace FleetMfa.Agent.Daemon;

public sealed partial class VerifyServer
{
    [LoggerMessage(20, LogLevel.Information, "serving local verify requests on {Path}")]
    private static partial void LogListening(ILogger logger, string path);

    [LoggerMessage(21, LogLevel.Warning, "not serving local verify requests ({Reason}); verify decides from the store directly")]
    private static partial void LogNotListening(ILogger logger, string reason);

    [LoggerMessage(22, LogLevel.Warning, "refused a verify connection from uid {UserId} (pid {ProcessId})")]
    private static partial void LogRefusedPeer(ILogger logger, uint userId, int processId);

    [LoggerMessage(23, LogLevel.Warning, "refused a verify connection whose peer the kernel does not name")]
    private static partial void LogUnknownPeer(ILogger logger);

    [LoggerMessage(24, LogLevel.Warning, "refused a malformed verify request ({Bytes} bytes) from pid {ProcessId}")]
    private static partial void LogMalformed(ILogger logger, int bytes, int processId);

    [LoggerMessage(25, LogLevel.Warning, "dropped a verify request that did not arrive within {Seconds:F1} s from pid {ProcessId}")]
    private static partial void LogTimedOut(ILogger logger, double seconds, int processId);

    [LoggerMessage(26, LogLevel.Warning, "could not decide a verify request from the store: {Reason}")]
    private static partial void LogStoreError(ILogger logger, string reason);

    [LoggerMessage(27, LogLevel.Warning, "refused a verify connection: {Active} already in progress")]
    private static partial void LogBusy(ILogger logger, int active);
}
