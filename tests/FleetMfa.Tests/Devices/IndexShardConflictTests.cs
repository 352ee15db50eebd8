using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// An index shard whose stored state was changed by another writer — a second activation of the shard while the cluster
/// decides that a silo died — keeps the other writer's rows and adds its own, instead of overwriting them.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IndexShardConflictTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task A_shard_write_that_meets_another_writers_state_keeps_its_rows()
    {
        var orgId = await _grains.NewOrgAsync();
        var (first, second) = TwoDevicesOfOneShard();
        await _grains.RegisterLinuxAsync(orgId, first);
        var shard = _grains.GetDeviceIndexShardFor(orgId, first);

        // The other writer: stores the shard with a row this activation has never seen (a new ETag).
        var storage = ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Fleet);
        var stored = new GrainState<DeviceIndexShardState>();
        await storage.ReadStateAsync("deviceIndex", shard.GetGrainId(), stored);
        var ghost = new DeviceRow("ghost-01", "ghost-01", DeviceOs.Linux, false, MfaStatus.Disabled, false, null);
        stored.State!.Rows[ghost.DeviceId] = ghost;
        await storage.WriteStateAsync("deviceIndex", shard.GetGrainId(), stored);

        await _grains.RegisterLinuxAsync(orgId, second);

        var rows = await shard.QueryAsync(new DeviceQuery(null, null, null, null, 100));
        Assert.Equal([first, second, "ghost-01"], rows.Select(r => r.DeviceId).Order(StringComparer.Ordinal));
        var reread = new GrainState<DeviceIndexShardState>();
        await storage.ReadStateAsync("deviceIndex", shard.GetGrainId(), reread);
        Assert.Equal([first, second, "ghost-01"], reread.State!.Rows.Keys.Order(StringComparer.Ordinal));
    }

    private static (string First, string Second) TwoDevicesOfOneShard()
    {
        var ids = Enumerable.Range(0, 1000).Select(i => $"conflict-{i}").ToArray();
        var shard = GrainKeys.DeviceShard(ids[0]);
        return (ids[0], ids.Skip(1).First(id => GrainKeys.DeviceShard(id) == shard));
    }
}
