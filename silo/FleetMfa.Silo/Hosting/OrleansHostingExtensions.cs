using System.Net;
using System.Net.Sockets;
using Azure.Core;
using Azure.Data.Tables;
using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;

namespace FleetMfa.Silo.Hosting;

public static class OrleansHostingExtensions
{
    /// <summary>
    /// Registers the shared <see cref="TableServiceClient"/>, the device index's store and the start-up/health probe.
    /// Fails fast without a connection string.
    /// </summary>
    public static WebApplicationBuilder AddFleetStorage(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "No storage configured: set FLEETMFA_STORAGE (or FleetMfa:Storage:ConnectionString) to an Azure Storage / Azurite connection string.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => CreateTableServiceClient(sp.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString));
        builder.Services.AddSingleton<IDeviceIndexStore>(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var tables = sp.GetRequiredService<TableServiceClient>();
            return new AzureTableDeviceIndexStore([.. StorageOptions.SpreadTables(storage.DeviceIndexTable).Select(tables.GetTableClient)]);
        });
        builder.Services.AddSingleton<StorageProbe>();
        builder.Services.AddFleetGrainServices();
        builder.Services.AddOptions<DecommissionOptions>()
            .BindConfiguration(DecommissionOptions.SectionName)
            .Validate(o => o.RevokeGrace >= TimeSpan.Zero && o.Retention > o.RevokeGrace && o.Retention <= TimeSpan.FromDays(45), "FleetMfa:Decommission:RevokeGrace must not be negative, and Retention longer than it and at most 45 days.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// The Orleans silo: Azure Table grain state and reminders; localhost, Azure Table or Kubernetes clustering, the
    /// latter two over mutual TLS (<see cref="ClusterTls"/>).
    /// </summary>
    public static WebApplicationBuilder AddFleetOrleans(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var cluster = builder.Configuration.GetSection(FleetClusterOptions.SectionName).Get<FleetClusterOptions>() ?? new FleetClusterOptions();
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();

        // A silo that would cluster without TLS stops at start (exit 2), before it listens.
        var certificates = ClusterTls.Load(cluster, out var tlsError);
        builder.Services.AddOptions<FleetClusterOptions>()
            .Validate(_ => tlsError is null, tlsError ?? string.Empty)
            .ValidateOnStart();

        builder.UseOrleans(silo =>
        {
            silo.UseFleetClustering(cluster, storage.ConnectionString);
            if (certificates is not null)
            {
                silo.UseTls(o => ClusterTls.Configure(o, certificates));
            }

            silo.AddFleetGrainStorage(storage.GrainStateTable);
            silo.UseAzureTableReminderService(o => o.Configure<IServiceProvider>((r, services) =>
                r.TableServiceClient = services.GetRequiredService<TableServiceClient>()));
            silo.AddReminderServiceMonitor();
        });
        return builder;
    }

    /// <summary>Registers <see cref="ReminderServiceMonitor"/>, created with the silo so it sees the reminder service start.</summary>
    public static ISiloBuilder AddReminderServiceMonitor(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddSingleton<ReminderServiceMonitor>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(services => services.GetRequiredService<ReminderServiceMonitor>());
        return silo;
    }

    /// <summary>
    /// Grain storage <see cref="StorageNames.Fleet"/>: a <see cref="ShardedGrainStorage"/> over the tables
    /// <paramref name="grainStateTable"/> stands for (<see cref="StorageOptions.SpreadTables"/>), through the
    /// registered <see cref="TableServiceClient"/>. <paramref name="decorate"/> wraps it (the test silos inject faults).
    /// </summary>
    public static ISiloBuilder AddFleetGrainStorage(this ISiloBuilder silo, string grainStateTable, Func<IGrainStorage, IGrainStorage>? decorate = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var tables = StorageOptions.SpreadTables(grainStateTable);
        var names = tables.Select((_, i) => $"{StorageNames.Fleet}-{i:D2}").ToArray();
        for (var i = 0; i < tables.Count; i++)
        {
            silo.AddFleetGrainTable(names[i], tables[i]);
        }

        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Fleet, (services, _) =>
        {
            var storage = new ShardedGrainStorage([.. names.Select(services.GetRequiredKeyedService<IGrainStorage>)]);
            return decorate is null ? storage : decorate(storage);
        });
        return silo;
    }

    /// <summary>Grain storage <paramref name="name"/> in the Azure table <paramref name="table"/>.</summary>
    private static void AddFleetGrainTable(this ISiloBuilder silo, string name, string table) =>
        silo.AddAzureTableGrainStorage(name, optionsBuilder => optionsBuilder.Configure<IServiceProvider>((o, services) =>
        {
            o.TableServiceClient = services.GetRequiredService<TableServiceClient>();
            o.TableName = table;

            // Orleans' binary format: compact rows, version-tolerant through [Id] members.
            o.GrainStorageSerializer = ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(services);
        }));

    /// <summary>
    /// Membership and endpoints for <see cref="FleetClusterOptions.Mode"/>: localhost; Azure Table membership on
    /// loopback or on <see cref="FleetClusterOptions.AdvertisedHost"/>; or Azure Table membership with Orleans'
    /// Kubernetes hosting (pod name and IP, listening on every interface). The service id is fixed in every mode.
    /// </summary>
    internal static ISiloBuilder UseFleetClustering(this ISiloBuilder silo, FleetClusterOptions cluster, string storageConnectionString)
    {
        switch (cluster.Mode)
        {
            case ClusteringMode.Localhost:
                return silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, serviceId: FleetClusterOptions.ServiceId, clusterId: cluster.ClusterId);
            case ClusteringMode.AzureTable when string.IsNullOrWhiteSpace(cluster.AdvertisedHost):
                silo.ConfigureEndpoints(IPAddress.Loopback, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: false);
                break;
            case ClusteringMode.AzureTable:
                silo.ConfigureEndpoints(cluster.AdvertisedHost, cluster.SiloPort, cluster.GatewayPort, AddressFamily.InterNetwork, listenOnAnyHostAddress: true);
                break;
            case ClusteringMode.Kubernetes:
                silo.Configure<EndpointOptions>(o =>
                {
                    o.SiloPort = cluster.SiloPort;
                    o.GatewayPort = cluster.GatewayPort;
                });
                silo.UseKubernetesHosting();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(cluster), cluster.Mode, "Unknown clustering mode.");
        }

        silo.UseAzureStorageClustering(o => o.TableServiceClient = CreateTableServiceClient(storageConnectionString));

        // After UseKubernetesHosting, so ORLEANS_SERVICE_ID / ORLEANS_CLUSTER_ID cannot move grain state elsewhere:
        // the pods' orleans/serviceId and orleans/clusterId labels must carry these values (deploy/k8s does).
        return silo.Configure<ClusterOptions>(o =>
        {
            o.ServiceId = FleetClusterOptions.ServiceId;
            o.ClusterId = cluster.ClusterId;
        });
    }

    private static TableServiceClient CreateTableServiceClient(string connectionString)
    {
        var options = new TableClientOptions();
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 3;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return new TableServiceClient(connectionString, options);
    }
}
