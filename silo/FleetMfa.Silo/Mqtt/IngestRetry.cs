namespace FleetMfa.Silo.Mqtt;

/// <summary>
/// How the bridge hands one incoming message to its grain. A failed call (a grain call timing out under load, storage
/// unreachable, a silo going away) is tried again with a pause that doubles up to <see cref="MaxPause"/>, for as long
/// as it takes: a message is never given up, since a login event that no grain stored would be an audit record lost.
/// The answer says whether the bridge may acknowledge the message to the broker: yes once a grain took it; no when the
/// silo stops first, so that the broker delivers it again to the bridge's session. Meanwhile the message stays
/// unacknowledged, and the bridge's receive window (<see cref="MqttOptions.IngestWindow"/>) leaves everything after it
/// on the broker, bounded by the broker's own queue limits (<see cref="IngestMetrics"/> counts what is held).
/// </summary>
public sealed partial class IngestRetry(TimeProvider time, ILogger logger, IngestMetrics metrics)
{
    /// <summary>The pause after the first failed call; it doubles after each further one, up to <see cref="MaxPause"/>.</summary>
    public static readonly TimeSpan FirstPause = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between two calls for one message.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(30);

    public async Task<bool> HandAsync(string topic, Func<Task> route, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(route);
        var pause = FirstPause;
        var held = false;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await route();
                    if (held)
                    {
                        LogHandedOver(logger, topic, attempt);
                    }

                    return true;
                }
                catch (Exception) when (stopping.IsCancellationRequested)
                {
                    LogLeftForRedelivery(logger, topic);
                    return false;
                }
                catch (Exception ex)
                {
                    if (!held)
                    {
                        held = true;
                        metrics.Held(1);
                        LogHeld(logger, topic, ex.GetType().Name, ex.Message);
                    }
                    else
                    {
                        LogRetrying(logger, topic, attempt, pause.TotalSeconds, ex.GetType().Name, ex.Message);
                    }

                    metrics.Retried();
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

                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
            }
        }
        finally
        {
            if (held)
            {
                metrics.Held(-1);
            }
        }
    }

    [LoggerMessage(313, LogLevel.Warning, "MQTT message on {Topic} could not be handed to its grain ({Error}: {Reason}); it is held unacknowledged and tried again until a grain takes it")]
    private static partial void LogHeld(ILogger logger, string topic, string error, string reason);

    [LoggerMessage(314, LogLevel.Debug, "MQTT message on {Topic} still not handed over (attempt {Attempt}, {Error}: {Reason}); trying again in {Seconds:F0} s")]
    private static partial void LogRetrying(ILogger logger, string topic, int attempt, double seconds, string error, string reason);

    [LoggerMessage(315, LogLevel.Information, "MQTT message on {Topic} left unacknowledged as the silo stops: the broker delivers it again")]
    private static partial void LogLeftForRedelivery(ILogger logger, string topic);

    [LoggerMessage(317, LogLevel.Information, "MQTT message on {Topic} handed to its grain at attempt {Attempt}, after being held")]
    private static partial void LogHandedOver(ILogger logger, string topic, int attempt);
}
