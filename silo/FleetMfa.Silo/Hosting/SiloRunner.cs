using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace FleetMfa.Silo.Hosting;

/// <summary>Starts the silo, or stops with one clear line and a distinct exit code instead of a stack trace.</summary>
public static partial class SiloRunner
{
    public const int ExitPortInUse = 1;
    public const int ExitConfiguration = 2;
    public const int ExitStorageUnreachable = 3;

    public static async Task<int> RunFleetAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FleetMfa.Silo");
        try
        {
            if (PortPreflight.FindBusyPort(app.Configuration) is var (port, variable))
            {
                LogPortInUse(logger, $"port {port}", variable);
                return ExitPortInUse;
            }

            if (!await app.Services.GetRequiredService<StorageProbe>().WaitUntilReachableAsync(app.Lifetime.ApplicationStopping))
            {
                return ExitStorageUnreachable;
            }

            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            LogConfigurationError(logger, string.Join(" ", ex.Failures));
            return ExitConfiguration;
        }
        catch (IOException ex) when (ex.InnerException is AddressInUseException || ex is { InnerException: SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } })
        {
            LogPortInUse(logger, ex.Message, "FLEETMFA_HTTP_PORT");
            return ExitPortInUse;
        }
        catch (Exception ex) when (IsOrleansPortInUse(ex))
        {
            LogPortInUse(logger, ex.Message, "FLEETMFA_SILO_PORT / FLEETMFA_GATEWAY_PORT");
            return ExitPortInUse;
        }
    }

    private static bool IsOrleansPortInUse(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(10, LogLevel.Critical, "Configuration error: {Message}")]
    private static partial void LogConfigurationError(ILogger logger, string message);

    [LoggerMessage(11, LogLevel.Critical, "A port is already in use ({Message}); set {Variable} to a free port.")]
    private static partial void LogPortInUse(ILogger logger, string message, string variable);
}
