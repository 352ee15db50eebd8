using System.Security.Cryptography;
using Azure.Data.Tables;
using FleetMfa.Grains.Security;
using FleetMfa.Silo.Hosting;
using FleetMfa.Testing.Storage;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// A silo on Azure Table storage: the Azurite of deploy/test.sh (<c>FLEETMFA_TEST_STORAGE</c>), or without it one of this
/// fixture's own (<see cref="AzuriteServer"/>). Grain state goes to a table of this fixture's own, so that runs sharing
/// one Azurite never see each other's rows.
/// </summary>
public sealed class AzuriteClusterFixture : IAsyncLifetime
{
    /// <summary>Fixed, so that a rebuilt cluster reads the state the previous one wrote.</summary>
    public const string ServiceId = "fleetmfa-azurite-tests";

    private readonly string _clockId;
    private readonly string _masterKey = AesGcmSecretProtector.NewKey();
    private AzuriteServer? _storage;

    public AzuriteClusterFixture()
    {
        (_clockId, Time) = TestClocks.Create();
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        GrainStateTable = $"fleetmfastate{suffix}";
        ReminderTable = $"fleetmfareminders{suffix}";
        AuditTable = $"fleetmfaaudit{suffix}";
        DeviceIndexTable = $"fleetmfaindex{suffix}";
    }

    /// <summary>This fixture's own clock: the in-memory collection runs in parallel and advances its clock.</summary>
    public FakeTimeProvider Time { get; }

    public string ConnectionString { get; private set; } = "";

    /// <summary>The base name of this fixture's grain-state tables (<see cref="StorageOptions.SpreadTables"/>).</summary>
    public string GrainStateTable { get; }

    public string ReminderTable { get; }

    /// <summary>The audit trail's table of this fixture (tests write it through <c>AzureTableAuditLog</c>).</summary>
    public string AuditTable { get; }

    /// <summary>The device index's table of this fixture's silos.</summary>
    public string DeviceIndexTable { get; }

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        _storage = await AzuriteServer.SharedOrStartAsync();
        ConnectionString = _storage.ConnectionString;
        Cluster = await StartClusterAsync();
    }

    /// <summary>Stops the whole cluster and builds a new one on the same tables, service id and master key.</summary>
    public async Task RestartClusterAsync()
    {
        var old = Cluster;
        Cluster = null!;
        await FleetTestCluster.StopAsync(old);
        Cluster = await StartClusterAsync();
    }

    public IEnumerable<TableClient> GrainStateTableClients()
    {
        var service = new TableServiceClient(ConnectionString);
        return StorageOptions.SpreadTables(GrainStateTable).Select(service.GetTableClient);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await FleetTestCluster.StopAsync(Cluster);
            if (_storage is { IsShared: true })
            {
                // A shared Azurite keeps no tables of ours.
                var service = new TableServiceClient(ConnectionString);
                await Task.WhenAll(GrainStateTableClients().Select(t => t.DeleteAsync()));
                await service.DeleteTableAsync(ReminderTable);
                await service.DeleteTableAsync(AuditTable);
                await service.DeleteTableAsync(DeviceIndexTable);
            }
        }
        finally
        {
            TestClocks.Remove(_clockId);
            if (_storage is not null)
            {
                await _storage.DisposeAsync();
            }
        }
    }

    private Task<TestCluster> StartClusterAsync() =>
        FleetTestCluster.StartAsync(new FleetSiloSettings(_clockId, _masterKey, ConnectionString, GrainStateTable, ReminderTable, DeviceIndexTable), ServiceId);
}
