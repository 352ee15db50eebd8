using FleetMfa.Silo.Hosting;
using Orleans.Storage;

namespace FleetMfa.Tests.Hosting;

public sealed class ShardedGrainStorageTests
{
    private readonly CountingStorage[] _shards = [.. Enumerable.Range(0, 4).Select(_ => new CountingStorage())];

    [Fact]
    public async Task Every_operation_on_a_grain_goes_to_the_same_shard_and_grains_spread_over_all_of_them()
    {
        var storage = new ShardedGrainStorage(_shards);
        var grains = await ReadWriteAndClearAsync(storage, 200);

        foreach (var grain in grains)
        {
            var shard = _shards[storage.ShardIndex(grain)];
            Assert.Equal(["read", "write", "clear"], shard.Calls[grain]);
        }

        Assert.All(_shards, s => Assert.InRange(s.Calls.Count, 25, 75));
        Assert.Equal(grains.Length, _shards.Sum(s => s.Calls.Count));
    }

    [Fact]
    public void A_grain_keeps_its_shard_across_instances()
    {
        var grain = GrainId.Create("device", "org/web-01");

        Assert.Equal(new ShardedGrainStorage(_shards).ShardIndex(grain), new ShardedGrainStorage([.. _shards]).ShardIndex(grain));
        Assert.Equal(grain.GetUniformHashCode() % 4, (uint)new ShardedGrainStorage(_shards).ShardIndex(grain));
    }

    [Fact]
    public void Without_shards_it_cannot_be_built() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardedGrainStorage([]));

    [Fact]
    public async Task Every_operation_names_the_grains_hash_and_grains_of_a_type_get_distinct_ones()
    {
        var storage = new ShardedGrainStorage(_shards);
        var grains = await ReadWriteAndClearAsync(storage, 200);

        var names = grains.ToDictionary(g => g, g => _shards[storage.ShardIndex(g)].StateNames[g]);
        Assert.All(grains, g => Assert.Equal(Enumerable.Repeat($"device-{g.GetUniformHashCode():x8}", 3), names[g]));
        Assert.Equal(grains.Length, names.Values.Select(n => n[0]).Distinct().Count());
    }

    /// <summary>Reads, writes and clears the state of <paramref name="count"/> device grains; returns their ids.</summary>
    private static async Task<GrainId[]> ReadWriteAndClearAsync(ShardedGrainStorage storage, int count)
    {
        var grains = Enumerable.Range(0, count).Select(i => GrainId.Create("device", $"org/host-{i}")).ToArray();
        foreach (var grain in grains)
        {
            var state = new GrainState<string>();
            await storage.ReadStateAsync("device", grain, state);
            await storage.WriteStateAsync("device", grain, state);
            await storage.ClearStateAsync("device", grain, state);
        }

        return grains;
    }

    private sealed class CountingStorage : IGrainStorage
    {
        public Dictionary<GrainId, List<string>> Calls { get; } = [];

        public Dictionary<GrainId, List<string>> StateNames { get; } = [];

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Record(grainId, stateName, "read");

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Record(grainId, stateName, "write");

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => Record(grainId, stateName, "clear");

        private Task Record(GrainId grainId, string stateName, string call)
        {
            if (!Calls.TryGetValue(grainId, out var calls))
            {
                Calls[grainId] = calls = [];
                StateNames[grainId] = [];
            }

            calls.Add(call);
            StateNames[grainId].Add(stateName);
            return Task.CompletedTask;
        }
    }
}
