using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// An index shard shares its store with other writers: a second activation of the shard while the cluster decides that
/// a silo died, and, once, the shard state of an older version that kept its rows in grain state. No writer's rows are lost.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IndexShardConflictTests(ClusterFixture fixture)
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task Rows_another_activation_stored_stay_stored_and_the_shard_takes_them_when_it_reconciles()
    {
        var orgId = await _grains.NewOrgAsync();
        var (first, second) = TwoDevicesOfOneShard();
        await _grains.RegisterLinuxAsync(orgId, first);
        var shard = _grains.GetDeviceIndexShardFor(orgId, first);
        var shardNumber = GrainKeys.DeviceShard(first);

        // The other writer stores a row this activation has never read.
        var ghost = new DeviceRow("ghost-01", "ghost-01", DeviceOs.Linux, false, MfaStatus.Disabled, false, null);
        await FleetSiloConfigurator.DeviceIndex.WriteAsync(orgId, shardNumber, [ghost]);

        await _grains.RegisterLinuxAsync(orgId, second);

        Assert.Equal([first, second, "ghost-01"], (await FleetSiloConfigurator.DeviceIndex.ReadAsync(orgId, shardNumber)).Select(r => r.DeviceId).Order(StringComparer.Ordinal));
        Assert.Equal([first, second], await ListAsync(shard));

        fixture.Time.Advance(DeviceIndexShardGrain.ReconcileDelay);

        await Poll.UntilAsync(() => ListAsync(shard), ids => ids.Length == 3, "the shard has taken the other writer's row");
        Assert.Equal([first, second, "ghost-01"], await ListAsync(shard));
    }

    [Fact]
    public async Task Rows_an_older_version_kept_in_grain_state_move_to_the_store_when_the_shard_activates()
    {
        var orgId = await _grains.NewOrgAsync();
        var (first, second) = TwoDevicesOfOneShard();
        var shardNumber = GrainKeys.DeviceShard(first);
        var shard = _grains.GetDeviceIndexShard(orgId, shardNumber);
        var legacy = new DeviceRow(first, "old-host", DeviceOs.Windows, true, MfaStatus.Enabled, false, null);
        var storage = ((InProcessSiloHandle)fixture.Cluster.Primary!).SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Fleet);
        var stored = new GrainState<DeviceIndexShardState>(new DeviceIndexShardState { LegacyRows = { [first] = legacy } });
        await storage.WriteStateAsync("deviceIndex", shard.GetGrainId(), stored);

        Assert.Equal([first], await ListAsync(shard));
        await _grains.RegisterLinuxAsync(orgId, second);

        Assert.Equal([first, second], (await FleetSiloConfigurator.DeviceIndex.ReadAsync(orgId, shardNumber)).Select(r => r.DeviceId).Order(StringComparer.Ordinal));
        Assert.Equal(legacy, (await FleetSiloConfigurator.DeviceIndex.ReadAsync(orgId, shardNumber)).Single(r => r.DeviceId == first));
        var reread = new GrainState<DeviceIndexShardState>();
        await storage.ReadStateAsync("deviceIndex", shard.GetGrainId(), reread);
        Assert.Empty(reread.State!.LegacyRows);
    }

    private static async Task<string[]> ListAsync(IDeviceIndexShardGrain shard) =>
        [.. (await shard.QueryAsync(new DeviceQuery(null, null, null, null, 100))).Select(r => r.DeviceId).Order(StringComparer.Ordinal)];

    private static (string First, string Second) TwoDevicesOfOneShard()
    {
        var ids = Enumerable.Range(0, 1000).Select(i => $"conflict-{i}").ToArray();
        var shard = GrainKeys.DeviceShard(ids[0]);
        return (ids[0], ids.Skip(1).First(id => GrainKeys.DeviceShard(id) == shard));
    }
}
