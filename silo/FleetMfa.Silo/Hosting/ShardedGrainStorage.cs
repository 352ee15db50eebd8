using System.Globalization;
using Orleans.Storage;

namespace FleetMfa.Silo.Hosting;

/// <summary>
/// Grain state spread over several storages (tables) by a stable hash of the grain id; every read, write and clear of
/// a grain goes to the same one. Azure Table storage needs no such thing, its partition per grain scales on its own;
/// Azurite does: it finds an entity by scanning every entity with the same row key, and Orleans gives all grains of a
/// type the same row key (the state name), so with one table each device write cost grows with the number of devices
/// (<see cref="StorageOptions.GrainStateTables"/>). With <c>perGrainRowKeys</c> the row key also carries the grain's
/// hash (<see cref="RowKeyName"/>), so a lookup no longer scans the other grains at all: the spread over tables only
/// divided that scan (a store's layout decides, <see cref="GrainStateLayout"/>).
/// </summary>
public sealed class ShardedGrainStorage : IGrainStorage
{
    private readonly IGrainStorage[] _shards;
    private readonly bool _perGrainRowKeys;

    public ShardedGrainStorage(IReadOnlyList<IGrainStorage> shards, bool perGrainRowKeys)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentOutOfRangeException.ThrowIfZero(shards.Count);
        _shards = [.. shards];
        _perGrainRowKeys = perGrainRowKeys;
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ShardOf(grainId).ReadStateAsync(RowKeyName(stateName, grainId), grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ShardOf(grainId).WriteStateAsync(RowKeyName(stateName, grainId), grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ShardOf(grainId).ClearStateAsync(RowKeyName(stateName, grainId), grainId, grainState);

    /// <summary>The shard of a grain: the same in every silo and every release (Orleans' uniform hash of the id).</summary>
    public int ShardIndex(GrainId grainId) => (int)(grainId.GetUniformHashCode() % (uint)_shards.Length);

    /// <summary>
    /// The state name handed to the table storage, which makes it the row key: the state name itself in a store of the
    /// old layout, else <c>{stateName}-{hash}</c> with the grain's uniform hash in hex.
    /// </summary>
    public string RowKeyName(string stateName, GrainId grainId) =>
        _perGrainRowKeys ? $"{stateName}-{grainId.GetUniformHashCode().ToString("x8", CultureInfo.InvariantCulture)}" : stateName;

    private IGrainStorage ShardOf(GrainId grainId) => _shards[ShardIndex(grainId)];
}
