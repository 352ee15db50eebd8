namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// How the bridge hands one incoming message to its grain. A failed call (a grain call timing out under load, a silo
/// going away) is tried again with a growing pause, <see cref="Attempts"/> times in all. The answer says whether the
/// bridge may acknowledge the message to the broker: yes once a grain took it, or once the bridge gave up on it; no when
/// the silo stops before a grain took it, so that the broker delivers it again to the bridge's session.
/// </summary>
public sealed partial class IngestRetry(TimeProvider time, ILogger logger)
{
    /// <summary>Calls per message before it is given up (logged as an error).</summary>
    public const int Attempts = 4;

    /// <summary>The pause after the first failed call; it doubles after each further one (1, 2, 4 s).</summary>
    public static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);

    public async Task<bool> HandAsync(string topic, Func<Task> route, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(route);
        var pause = FirstPause;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await route();
                return true;
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                LogLeftForRedelivery(logger, topic);
                return false;
            }
            catch (Exception ex) when (attempt < Attempts)
            {
                LogRetrying(logger, topic, attempt, pause.TotalSeconds, ex.GetType().Name, ex.Message);
            }
            catch (Exception ex)
            {
                LogGivenUp(logger, topic, attempt, ex);
                return true;
            }

            try
            {
                await Task.Delay(pause, time, stopping);
            }
            catch (OperationCanceledException)
            {
                LogLeftForRedelivery(logger, topic);
                return false;
            }

            pause *= 2;
        }
    }

    [LoggerMessage(313, LogLevel.Error, "MQTT message on {Topic} could not be handled after {Attempts} attempts; it is dropped")]
    private static partial void LogGivenUp(ILogger logger, string topic, int attempts, Exception exception);

    [LoggerMessage(314, LogLevel.Warning, "MQTT message on {Topic} could not be handled (attempt {Attempt}, {Error}: {Reason}); trying again in {Seconds:F0} s")]
    private static partial void LogRetrying(ILogger logger, string topic, int attempt, double seconds, string error, string reason);

    [LoggerMessage(315, LogLevel.Information, "MQTT message on {Topic} left unacknowledged as the silo stops: the broker delivers it again")]
    private static partial void LogLeftForRedelivery(ILogger logger, string topic);
}
