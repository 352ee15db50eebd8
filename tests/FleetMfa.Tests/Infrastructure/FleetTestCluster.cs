using Orleans.TestingHost;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>Builds and tears down one-silo test clusters configured by <see cref="FleetSiloConfigurator"/>.</summary>
public static class FleetTestCluster
{
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
            await cluster.DeployAsync();
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
