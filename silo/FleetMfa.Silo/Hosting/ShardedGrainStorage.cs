using System.Globalization;
using Orleans.Storage;

namespace FleetMfa.Silo.Hosting;

/// <summary>
/// Grain state spread over several storages (tables) by a stable hash of the grain id, every read, write and clear of a
/// grain going to the same one (<see cref="StorageOptions.SpreadTableCount"/>), each grain under a row key of its own
/// (<see cref="RowKeyName"/>). Orleans' Azure Table storage gives every grain of a type the same row key, the state
/// name, and Azurite finds an entity by scanning every entity with its row key: one device's read or write then cost
/// in proportion to the number of devices.
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
        ShardOf(grainId).ReadStateAsync(RowKeyName(stateName, grainId), grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ShardOf(grainId).WriteStateAsync(RowKeyName(stateName, grainId), grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ShardOf(grainId).ClearStateAsync(RowKeyName(stateName, grainId), grainId, grainState);

    /// <summary>The shard of a grain: the same in every silo and every release (Orleans' uniform hash of the id).</summary>
    public int ShardIndex(GrainId grainId) => (int)(grainId.GetUniformHashCode() % (uint)_shards.Length);

    /// <summary>
    /// The state name handed to the table storage, which makes it the row key: <c>{stateName}-{hash}</c> with the
    /// grain's uniform hash in hex (<c>device-1a2b3c4d</c>).
    /// </summary>
    public static string RowKeyName(string stateName, GrainId grainId) =>
        $"{stateName}-{grainId.GetUniformHashCode().ToString("x8", CultureInfo.InvariantCulture)}";

    private IGrainStorage ShardOf(GrainId grainId) => _shards[ShardIndex(grainId)];
}
