using System.Collections.Concurrent;
using FleetMfa.Grains;
using FleetMfa.Grains.Devices;

namespace FleetMfa.Tests.Infrastructure;

/// <summary>
/// The device index in memory, for unit tests only: a dictionary of rows per org and shard, each write replacing the
/// rows it names, as <see cref="AzureTableDeviceIndexStore"/> does. The silo never uses it.
/// </summary>
public sealed class InMemoryDeviceIndexStore : IDeviceIndexStore
{
    private readonly ConcurrentDictionary<(string OrgId, int Shard), ConcurrentDictionary<string, DeviceRow>> _shards = new();
    private readonly ConcurrentDictionary<string, bool> _unreachable = new(StringComparer.Ordinal);

    /// <summary>Makes every read and write of the org's rows fail (storage down), until <see cref="Restore"/>.</summary>
    public void Break(string orgId) => _unreachable[orgId] = true;

    public void Restore(string orgId) => _unreachable.TryRemove(orgId, out _);

    public Task<IReadOnlyList<DeviceRow>> ReadAsync(string orgId, int shard, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DeviceRow>>([.. Shard(orgId, shard).Values]);

    public Task WriteAsync(string orgId, int shard, IReadOnlyCollection<DeviceRow> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var stored = Shard(orgId, shard);
        foreach (var row in rows)
        {
            stored[Slug.Require(row.DeviceId, "deviceId")] = row;
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(string orgId, int shard, string deviceId, CancellationToken cancellationToken = default)
    {
        Shard(orgId, shard).TryRemove(deviceId, out _);
        return Task.CompletedTask;
    }

    private ConcurrentDictionary<string, DeviceRow> Shard(string orgId, int shard)
    {
        Slug.Require(orgId, "orgId");
        if (_unreachable.ContainsKey(orgId))
        {
            throw new IOException($"The index store of '{orgId}' is unreachable (test).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, GrainKeys.DeviceIndexShards);
        return _shards.GetOrAdd((orgId, shard), _ => new ConcurrentDictionary<string, DeviceRow>(StringComparer.Ordinal));
    }
}
