using System.Net;
using FleetMfa.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace FleetMfa.Tests.Hosting;

/// <summary>
/// <c>FLEETMFA_CLUSTERING</c> picks membership and endpoints: the silo's real <c>AddFleetOrleans</c> is run on a built
/// (never started) host and the resulting services and options are read back.
/// </summary>
public sealed class ClusteringModeTests
{
    private const string KubernetesAgent = "Orleans.Hosting.Kubernetes.KubernetesClusterAgent";

    [Fact]
    public async Task Localhost_is_the_default_single_machine_cluster_on_loopback()
    {
        await using var silo = Build(new Dictionary<string, string?>());

        var endpoints = silo.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        Assert.DoesNotContain("Azure", MembershipTableType(silo), StringComparison.Ordinal);
        Assert.DoesNotContain(KubernetesAgent, LifecycleParticipants(silo));
    }

    [Fact]
    public async Task Azure_table_without_an_address_keeps_silos_on_loopback()
    {
        await using var silo = Build(new Dictionary<string, string?> { ["FleetMfa:Cluster:Mode"] = "AzureTable" });

        var endpoints = silo.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        Assert.Contains("Azure", MembershipTableType(silo), StringComparison.Ordinal);
        Assert.DoesNotContain(KubernetesAgent, LifecycleParticipants(silo));
    }

    [Fact]
    public async Task Azure_table_with_an_address_advertises_it_and_listens_on_every_interface()
    {
        await using var silo = Build(new Dictionary<string, string?>
        {
            ["FleetMfa:Cluster:Mode"] = "AzureTable",
            ["FleetMfa:Cluster:AdvertisedHost"] = "10.20.30.40",
            ["FleetMfa:Cluster:SiloPort"] = "11112",
        });

        var endpoints = silo.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Parse("10.20.30.40"), endpoints.AdvertisedIPAddress);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 11112), endpoints.SiloListeningEndpoint);
    }

    [Fact]
    public async Task Kubernetes_adds_kubernetes_hosting_to_azure_table_membership_and_keeps_the_service_id()
    {
        await using var silo = Build(new Dictionary<string, string?>
        {
            ["FleetMfa:Cluster:Mode"] = "Kubernetes",
            ["FleetMfa:Cluster:ClusterId"] = "fleetmfa-prod",
            ["FleetMfa:Cluster:SiloPort"] = "11111",
            ["FleetMfa:Cluster:GatewayPort"] = "30000",
        });

        Assert.Contains(KubernetesAgent, LifecycleParticipants(silo));
        Assert.Contains("Azure", MembershipTableType(silo), StringComparison.Ordinal);
        var cluster = silo.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.Equal((FleetClusterOptions.ServiceId, "fleetmfa-prod"), (cluster.ServiceId, cluster.ClusterId));
        var endpoints = silo.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(new IPEndPoint(IPAddress.Any, 11111), endpoints.SiloListeningEndpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 30000), endpoints.GatewayListeningEndpoint);
    }

    [Fact]
    public void The_environment_variables_select_the_mode_and_the_advertised_address()
    {
        var variables = new Dictionary<string, string?> { ["FLEETMFA_CLUSTERING"] = "Kubernetes", ["FLEETMFA_SILO_ADDRESS"] = "silo-2" };
        foreach (var (name, value) in variables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            var configuration = new ConfigurationBuilder().AddFleetEnvironmentVariables().Build();
            var options = configuration.GetSection(FleetClusterOptions.SectionName).Get<FleetClusterOptions>()!;
            Assert.Equal((ClusteringMode.Kubernetes, "silo-2"), (options.Mode, options.AdvertisedHost));
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    private static BuiltSilo Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration["FleetMfa:Storage:ConnectionString"] = "UseDevelopmentStorage=true";
        builder.AddFleetOrleans();
        return new BuiltSilo(builder.Services, builder.Build());
    }

    private static string MembershipTableType(BuiltSilo silo) =>
        silo.Services.GetRequiredService<IMembershipTable>().GetType().FullName!;

    /// <summary>The registered types, not instances: resolving them all would build the grain storage too.</summary>
    private static List<string> LifecycleParticipants(BuiltSilo silo) =>
        [.. silo.Registrations
            .Where(d => d.ServiceType == typeof(ILifecycleParticipant<ISiloLifecycle>) && d.ImplementationType is not null)
            .Select(d => d.ImplementationType!.FullName!)];

    private sealed record BuiltSilo(IServiceCollection Registrations, WebApplication App) : IAsyncDisposable
    {
        public IServiceProvider Services => App.Services;

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
