using FleetMfa.Grains.Security;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>One in-memory silo shared by the <see cref="ClusterCollection"/>; tests keep apart by using fresh org ids.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly string _clockId;

    public ClusterFixture()
    {
        (_clockId, Time) = TestClocks.Create();
    }

    /// <summary>The grains' clock. Tests of one collection run one at a time, so a test may advance it.</summary>
    public FakeTimeProvider Time { get; }

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync() =>
        Cluster = await FleetTestCluster.StartAsync(new FleetSiloSettings(_clockId, AesGcmSecretProtector.NewKey()), $"fleetmfa-tests-{Guid.NewGuid():N}");

    public async Task DisposeAsync()
    {
        await FleetTestCluster.StopAsync(Cluster);
        TestClocks.Remove(_clockId);
    }
}
