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
        using var reminders = ReminderServiceReadiness.Listen();
        try
        {
            await cluster.DeployAsync();
            await reminders.WaitAsync([.. cluster.Silos.Select(s => s.SiloAddress)], _reminderServiceStart);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
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
