using Orleans.Concurrency;

namespace FleetMfa.Grains.Devices;

/// <summary>Scatter-gather over an org's index shards. Stateless, so every silo serves its own requests locally.</summary>
[StatelessWorker]
public sealed class DeviceDirectoryGrain : Grain, IDeviceDirectoryGrain
{
    private string OrgId => this.GetPrimaryKeyString();

    public async Task<DevicePage> ListAsync(DeviceQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, DeviceQuery.MaxLimit);

        // One more than a page from every shard tells whether another page exists.
        var shardQuery = query with { Limit = limit + 1 };
        var pages = await Task.WhenAll(Shards().Select(s => s.QueryAsync(shardQuery)));
        var merged = pages.SelectMany(p => p).OrderBy(r => r.DeviceId, StringComparer.Ordinal).Take(limit + 1).ToList();
        var hasMore = merged.Count > limit;
        var items = merged.Take(limit).ToList();
        return new DevicePage(items, hasMore ? items[^1].DeviceId : null);
    }

    public async Task<MfaStatusCounts> CountAsync()
    {
        var counts = await Task.WhenAll(Shards().Select(s => s.GetCountsAsync()));
        return counts.Aggregate(MfaStatusCounts.Empty, (sum, c) => sum.Add(c));
    }

    private IEnumerable<IDeviceIndexShardGrain> Shards() =>
        Enumerable.Range(0, GrainKeys.DeviceIndexShards).Select(i => GrainFactory.GetDeviceIndexShard(OrgId, i));
}
