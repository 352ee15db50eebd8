using Orleans.Reminders.Diagnostics;

namespace FleetMfa.Silo.Hosting;

/// <summary>
/// Whether this silo's reminder service has finished its initial load of the reminder table. Orleans starts the silo
/// before that load is done and, when it fails three times, gives up until the silo restarts: every reminder
/// registration on the silo then fails (rollouts and the org switch need reminders), while everything else looks
/// fine. <c>/healthz</c> reports it, so that a silo without reminders is taken out of service instead of serving half.
/// A lifecycle participant only to be created (and subscribed) before the grain services start.
/// </summary>
public sealed class ReminderServiceMonitor : IObserver<ReminderEvents.ReminderServiceEvent>, ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly SiloAddress _silo;
    private readonly IDisposable _subscription;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ReminderServiceMonitor(ILocalSiloDetails silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        _silo = silo.SiloAddress;
        _subscription = ReminderEvents.ServiceEvents.Subscribe(this);
    }

    /// <summary>The silo this monitor watches.</summary>
    public SiloAddress Silo => _silo;

    /// <summary>Completes once this silo's reminder service has read its range of the reminder table.</summary>
    public Task Started => _started.Task;

    /// <summary>True once this silo's reminder service has read its range of the reminder table.</summary>
    public bool IsStarted => _started.Task.IsCompleted;

    public void OnNext(ReminderEvents.ReminderServiceEvent value)
    {
        if (value is ReminderEvents.ReminderServiceStarted && _silo.Equals(value.SiloAddress))
        {
            _started.TrySetResult();
        }
    }

    public void OnError(Exception error)
    {
    }

    public void OnCompleted()
    {
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
    }

    public void Dispose() => _subscription.Dispose();
}
