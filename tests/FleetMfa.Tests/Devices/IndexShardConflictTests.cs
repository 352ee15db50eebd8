using FleetMfa.Grains;
using FleetMfa.Grains.Devices;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Devices;

/// <summary>
/// An index shard shares its store with another writer, a second activation of the shard while the cluster decides that
/// a silo died. No writer's rows are lost.
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

    private static async Task<string[]> ListAsync(IDeviceIndexShardGrain shard) =>
        [.. (await shard.QueryAsync(new DeviceQuery(null, null, null, null, 100))).Select(r => r.DeviceId).Order(StringComparer.Ordinal)];

    private static (string First, string Second) TwoDevicesOfOneShard()
    {
        var ids = Enumerable.Range(0, 1000).Select(i => $"conflict-{i}").ToArray();
        var shard = GrainKeys.DeviceShard(ids[0]);
        return (ids[0], ids.Skip(1).First(id => GrainKeys.DeviceShard(id) == shard));
    }
}
