using Azure.Data.Tables;
using FleetMfa.Silo.Hosting;
using FleetMfa.Grains;
using FleetMfa.Grains.Audit;
using FleetMfa.Grains.Devices;
using FleetMfa.Grains.Security;
using FleetMfa.Grains.Revocation;
using FleetMfa.Grains.Twin;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Reminders;
using Orleans.Reminders.AzureStorage;
using Orleans.Storage;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// Configures a test silo like the real host: grain storage under <see cref="StorageNames.Fleet"/>, the device index's
/// store, reminders, the grain services with a random master key, and the fixture's fake clock as the grains' <see cref="TimeProvider"/>.
/// </summary>
public sealed class FleetSiloConfigurator : ISiloConfigurator
{
    /// <summary>
    /// Orleans resolves every area's clock from the default <see cref="TimeProvider"/> unless the area has its own.
    /// These stay on real time, so that advancing the fake clock by a week moves grain time only and never fires
    /// membership, messaging or activation-collection timers.
    /// </summary>
    private static readonly string[] _realTimeAreas =
    [
        TimeProviderNames.Messaging,
        TimeProviderNames.SystemTimers,
        TimeProviderNames.Membership,
        TimeProviderNames.ActivationManagement,
        TimeProviderNames.GrainDirectory,
        ReminderTimeProviderNames.Reminders,
    ];

    /// <summary>The storage under the fault injector (and, in memory, the write counter) that grains see as <see cref="StorageNames.Fleet"/>.</summary>
    private const string InnerStorage = "fleet-inner";

    /// <summary>What device grains publish, shared by every in-process test silo.</summary>
    public static RecordingDesiredStatePublisher Publisher { get; } = new();

    /// <summary>What device grains revoke and clear on the broker, shared by every in-process test silo.</summary>
    public static RecordingDeviceAccessRevoker Revoker { get; } = new();

    /// <summary>What the revocation grain hands the broker, shared by every in-process test silo (usernames keep tests apart).</summary>
    public static RecordingRevocationListPublisher RevocationLists { get; } = new();

    /// <summary>The audit trail device grains write, shared by every in-process test silo (orgs keep tests apart).</summary>
    public static InMemoryAuditLog AuditLog { get; } = new();

    /// <summary>The device index of every in-process test silo without Azure storage (orgs keep tests apart).</summary>
    public static InMemoryDeviceIndexStore DeviceIndex { get; } = new();

    public void Configure(ISiloBuilder siloBuilder)
    {
        ArgumentNullException.ThrowIfNull(siloBuilder);
        var configuration = siloBuilder.Configuration;
        var clock = TestClocks.Get(Required(configuration, FleetSiloSettings.ClockIdKey));
        var masterKey = Required(configuration, FleetSiloSettings.MasterKeyKey);
        var connectionString = configuration[FleetSiloSettings.StorageConnectionStringKey];

        if (string.IsNullOrEmpty(connectionString))
        {
            // Orleans' binary format, as the host stores grain state (AddFleetGrainStorage). The memory storage's default,
            // Orleans' JSON, leaves out members at their type's default, and one whose initializer differs reads back
            // changed: OrgState.PolicyFannedOutShards = 0 (no shard has confirmed) came back as every shard done.
            siloBuilder.AddMemoryGrainStorage(InnerStorage);
            siloBuilder.Services.AddOptions<MemoryGrainStorageOptions>(InnerStorage).Configure<IServiceProvider>(
                (o, services) => o.GrainStorageSerializer = ActivatorUtilities.CreateInstance<OrleansGrainStorageSerializer>(services));
            siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.Fleet, (services, _) =>
                new FaultInjectingGrainStorage(new WriteCountingGrainStorage(services.GetRequiredKeyedService<IGrainStorage>(InnerStorage))));
            siloBuilder.AddReminders();
            siloBuilder.Services.AddSingleton<IReminderTable>(new InMemoryReminderTable());
            siloBuilder.Services.AddSingleton<IDeviceIndexStore>(DeviceIndex);
        }
        else
        {
            var grainStateTable = Required(configuration, FleetSiloSettings.GrainStateTableKey);
            var reminderTable = Required(configuration, FleetSiloSettings.ReminderTableKey);
            var deviceIndexTable = Required(configuration, FleetSiloSettings.DeviceIndexTableKey);
            siloBuilder.Services.AddSingleton<IDeviceIndexStore>(
                new AzureTableDeviceIndexStore(new TableServiceClient(connectionString).GetTableClient(deviceIndexTable)));

            // The host's own grain storage (its tables, row keys and serializer), behind the fault injector.
            siloBuilder.Services.AddSingleton(new TableServiceClient(connectionString));
            siloBuilder.AddFleetGrainStorage(grainStateTable, storage => new FaultInjectingGrainStorage(storage));
            siloBuilder.UseAzureTableReminderService((AzureTableReminderStorageOptions o) =>
            {
                o.TableServiceClient = new TableServiceClient(connectionString);
                o.TableName = reminderTable;
            });
        }

        var services = siloBuilder.Services;
        services.AddSingleton<TimeProvider>(clock);
        foreach (var area in _realTimeAreas)
        {
            services.AddKeyedSingleton(area, TimeProvider.System);
        }

        siloBuilder.AddReminderServiceMonitor();
        services.Configure<SecretProtectionOptions>(o => o.MasterKey = masterKey);
        services.AddFleetGrainServices();
        services.AddSingleton<IDesiredStatePublisher>(Publisher);
        services.AddSingleton<IDeviceAccessRevoker>(Revoker);
        services.AddSingleton<IRevocationListPublisher>(RevocationLists);
        services.AddSingleton<IAuditLog>(new GroupCommitAuditLog(AuditLog));
    }

    private static string Required(IConfiguration configuration, string key) =>
        configuration[key] is { Length: > 0 } value ? value : throw new InvalidOperationException($"The test cluster was built without '{key}'.");
}
