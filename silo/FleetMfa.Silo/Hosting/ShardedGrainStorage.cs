using Orleans.Storage;

namespace FleetMfa.Silo.Hosting;

/// <summary>
/// Grain state spread over several storages (tables) by a stable hash of the grain id; every read, write and clear of
/// a grain goes to the same one. Azure Table storage needs no such thing, its partition per grain scales on its own;
/// Azurite does: it finds an entity by scanning every entity with the same row key, and Orleans gives all grains of a
/// type the same row key, so with one table each device write cost grows with the number of devices
/// (<see cref="StorageOptions.GrainStateTables"/>).
/// </summary>
public sealed class ShardedGrainStorage : IGrainStorage
{
    private readonly IGrainStorage[] _shards;

    public ShardedGrainStorage(IReadOnlyList<IGrainStorage> shards)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentOutOfRangeException.ThrowIfZero(shards.Count);
        _shards = [.. shards];
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ShardOf(grainId).ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ShardOf(grainId).WriteStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ShardOf(grainId).ClearStateAsync(stateName, grainId, grainState);

    /// <summary>The shard of a grain: the same in every silo and every release (Orleans' uniform hash of the id).</summary>
    public int ShardIndex(GrainId grainId) => (int)(grainId.GetUniformHashCode() % (uint)_shards.Length);

    private IGrainStorage ShardOf(GrainId grainId) => _shards[ShardIndex(grainId)];
}
