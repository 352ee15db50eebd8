using System.Collections.Concurrent;
using Orleans.Reminders.Diagnostics;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// Waits until the reminder service of given silos has finished its initial load. A silo counts as started before
/// that load is done (Orleans runs it in the background), and a reminder registered in between waits on it and may
/// fail; a test fixture hands out its cluster only after this says every silo's reminder service is up, and says
/// which one is not when it never comes up. Subscribe before the silos start: the event is raised once per silo.
/// </summary>
public sealed class ReminderServiceReadiness : IObserver<ReminderEvents.ReminderServiceEvent>, IDisposable
{
    private readonly ConcurrentDictionary<SiloAddress, TaskCompletionSource> _started = new();
    private readonly IDisposable _subscription;

    private ReminderServiceReadiness() => _subscription = ReminderEvents.ServiceEvents.Subscribe(this);

    /// <summary>Starts listening to every silo of this process.</summary>
    public static ReminderServiceReadiness Listen() => new();

    /// <summary>Completes when all <paramref name="silos"/> reported their reminder service started.</summary>
    /// <exception cref="TimeoutException">One of them did not within <paramref name="timeout"/> (real time).</exception>
    public async Task WaitAsync(IReadOnlyCollection<SiloAddress> silos, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(silos);
        try
        {
            await Task.WhenAll(silos.Select(s => Started(s).Task)).WaitAsync(timeout);
        }
        catch (TimeoutException e)
        {
            var missing = silos.Where(s => !Started(s).Task.IsCompleted);
            throw new TimeoutException(
                $"The reminder service of silo {string.Join(", ", missing)} did not finish its initial load within {timeout}; " +
                "its reminder table did not answer (see the silo log for LocalReminderService).", e);
        }
    }

    public void OnNext(ReminderEvents.ReminderServiceEvent value)
    {
        if (value is ReminderEvents.ReminderServiceStarted { SiloAddress: { } silo })
        {
            Started(silo).TrySetResult();
        }
    }

    public void OnError(Exception error)
    {
    }

    public void OnCompleted()
    {
    }

    public void Dispose() => _subscription.Dispose();

    private TaskCompletionSource Started(SiloAddress silo) =>
        _started.GetOrAdd(silo, static _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
}
