using FleetMfa.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>Builds and tears down one-silo test clusters configured by <see cref="FleetSiloConfigurator"/>.</summary>
public static class FleetTestCluster
{
    /// <summary>
    /// How long a new silo's reminder service may take for its initial load. It takes milliseconds; a load that fails
    /// (30 s request timeout) is retried up to 30 s later, so this leaves room for one retry before the fixture fails
    /// with the reason instead of letting every reminder-using test fail on its own.
    /// </summary>
    private static readonly TimeSpan _reminderServiceStart = TimeSpan.FromMinutes(2);

    public static async Task<TestCluster> StartAsync(FleetSiloSettings settings, string serviceId)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = new TestClusterBuilder(1);
        builder.Options.ServiceId = serviceId;
        builder.Options.ConfigureFileLogging = false;
        foreach (var (key, value) in settings.ToProperties())
        {
            builder.Properties[key] = value;
        }

        builder.AddSiloBuilderConfigurator<FleetSiloConfigurator>();
        var cluster = builder.Build();
        try
        {
            // A silo counts as started before its reminder service has loaded (Orleans does that in the background),
            // and a reminder registered in between waits on it and may fail: hand out the cluster only after.
            await cluster.DeployAsync();
            var monitors = cluster.Silos.Select(s => ((InProcessSiloHandle)s).SiloHost.Services.GetRequiredService<ReminderServiceMonitor>());
            await WaitForReminderServicesAsync([.. monitors.Select(m => (m.Silo, m.Started))], _reminderServiceStart);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Completes when every silo's reminder service has started; otherwise names the silos whose did not.</summary>
    /// <exception cref="TimeoutException">One of them did not within <paramref name="timeout"/> (real time).</exception>
    public static async Task WaitForReminderServicesAsync(IReadOnlyCollection<(SiloAddress Silo, Task Started)> silos, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(silos);
        try
        {
            await Task.WhenAll(silos.Select(s => s.Started)).WaitAsync(timeout);
        }
        catch (TimeoutException e)
        {
            var missing = silos.Where(s => !s.Started.IsCompleted).Select(s => s.Silo);
            throw new TimeoutException(
                $"The reminder service of silo {string.Join(", ", missing)} did not finish its initial load within {timeout}; " +
                "its reminder table did not answer (see the silo log for LocalReminderService).", e);
        }
    }

    public static async Task StopAsync(TestCluster? cluster)
    {
        if (cluster is null)
        {
            return;
        }

        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }
}
