using FleetMfa.Grains;

namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// At start, has the revocation grain write the broker's files again from what is stored (a broker whose files were
/// lost or went stale gets them back, re-signed), retrying until it succeeds; the grain's reminder keeps them fresh after.
/// </summary>
public sealed partial class RevocationListStartup(IGrainFactory grains, ILogger<RevocationListStartup> logger, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetCertificateRevocation().PublishAsync();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPublishFailed(logger, ex);
            }

            await Task.Delay(RetryDelay, time, stoppingToken);
        }
    }

    [LoggerMessage(323, LogLevel.Warning, "Could not write Mosquitto's revocation files at start; retrying")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception);
}
