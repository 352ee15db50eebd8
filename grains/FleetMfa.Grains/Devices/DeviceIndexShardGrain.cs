using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// One of an org's <see cref="GrainKeys.DeviceIndexShards"/> index slices. Row updates interleave and share storage
/// writes (group commit), so a burst of acks costs a few writes rather than one per device, and a long fan-out
/// never blocks the devices that report to this shard.
/// </summary>
public sealed partial class DeviceIndexShardGrain : Grain, IDeviceIndexShardGrain
{
    /// <summary>
    /// How many device grains a shard calls at once during a fan-out. Every call is a storage write, and all 64 shards
    /// fan out together: at 64 each, 4,096 writes queued behind one Azurite and answers took over Orleans' 30 s
    /// response timeout (deploy/bench.sh org-switch at 20,000 devices); 16 each keeps about a thousand in flight.
    /// </summary>
    internal const int FanOutConcurrency = 16;

    /// <summary>How long <see cref="ApplyOrgPolicyAsync"/> waits for its fan-out before it returns and lets it finish alone.</summary>
    internal static readonly TimeSpan FanOutWait = TimeSpan.FromSeconds(10);

    private readonly IPersistentState<DeviceIndexShardState> _state;
    private readonly CoalescingStateWriter<DeviceIndexShardState> _writer;
    private readonly ILogger<DeviceIndexShardGrain> _logger;
    private readonly TimeProvider _time;
    private string[]? _sortedIds;
    private HashSet<string> _changedRows = new(StringComparer.Ordinal);
    private (long Version, Task Task)? _fanOut;

    public DeviceIndexShardGrain(
        [PersistentState("deviceIndex", StorageNames.Fleet)] IPersistentState<DeviceIndexShardState> state,
        ILogger<DeviceIndexShardGrain> logger,
        TimeProvider time)
    {
        _state = state;
        _writer = new CoalescingStateWriter<DeviceIndexShardState>(state, WriteMergingAsync);
        _logger = logger;
        _time = time;
    }

    private Dictionary<string, DeviceRow> Rows => _state.State.Rows;

    public async Task<OrgPolicy?> UpsertAsync(DeviceRow row, long knownPolicyVersion)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!Rows.TryGetValue(row.DeviceId, out var existing) || existing != row)
        {
            if (existing is null)
            {
                _sortedIds = null;
            }

            Rows[row.DeviceId] = row;
            _changedRows.Add(row.DeviceId);
            await _writer.WriteAsync();
        }

        return _state.State.Policy is { } policy && policy.Version > knownPolicyVersion ? policy : null;
    }

    /// <summary>
    /// Writes the shard. Storage answering with a stale ETag means that another activation of this shard wrote too —
    /// briefly possible while the cluster decides that a silo died — or that a write timed out after it landed. Rows
    /// come from their devices, so neither activation may overwrite the other's: this one re-reads the stored state,
    /// lays the rows it changed since its last write over it, keeps the newer policy, and writes that.
    /// </summary>
    private async Task WriteMergingAsync()
    {
        var changed = _changedRows;
        _changedRows = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await _state.WriteOwnedStateAsync((mine, stored) =>
            {
                foreach (var id in changed)
                {
                    stored.Rows[id] = mine.Rows[id];
                }

                if (mine.Policy is { } policy && (stored.Policy is null || stored.Policy.Version < policy.Version))
                {
                    stored.Policy = policy;
                }

                stored.FannedOutVersion = Math.Max(stored.FannedOutVersion, mine.FannedOutVersion);
                _sortedIds = null;
                LogMergedAfterConflict(_logger, this.GetPrimaryKeyString(), changed.Count, stored.Rows.Count);
            });
        }
        catch
        {
            // Not written: these rows go with the next write.
            _changedRows.UnionWith(changed);
            throw;
        }
    }

    public Task<IReadOnlyList<DeviceRow>> QueryAsync(DeviceQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        _sortedIds ??= [.. Rows.Keys.Order(StringComparer.Ordinal)];
        var start = query.After is null ? 0 : OrdinalSearch.UpperBound(_sortedIds, id => id, query.After);
        var page = new List<DeviceRow>(Math.Min(query.Limit, 64));
        for (var i = start; i < _sortedIds.Length && page.Count < query.Limit; i++)
        {
            var row = Rows[_sortedIds[i]];
            if (query.Matches(row))
            {
                page.Add(row);
            }
        }

        return Task.FromResult<IReadOnlyList<DeviceRow>>(page);
    }

    public Task<MfaStatusCounts> GetCountsAsync()
    {
        int disabled = 0, pending = 0, enabled = 0, failed = 0;
        foreach (var row in Rows.Values)
        {
            switch (row.MfaStatus)
            {
                case MfaStatus.Disabled: disabled++; break;
                case MfaStatus.Pending: pending++; break;
                case MfaStatus.Enabled: enabled++; break;
                case MfaStatus.Failed: failed++; break;
            }
        }

        return Task.FromResult(new MfaStatusCounts(Rows.Count, disabled, pending, enabled, failed));
    }

    public async Task ApplyOrgPolicyAsync(OrgPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (_state.State.Policy is { } known && known.Version > policy.Version)
        {
            return;
        }

        if (_state.State.Policy?.Version != policy.Version)
        {
            _state.State.Policy = policy;
            await _writer.WriteAsync();
        }

        var (orgId, shardName) = GrainKeys.Split(this.GetPrimaryKeyString());
        var shard = int.Parse(shardName, System.Globalization.CultureInfo.InvariantCulture);
        if (_state.State.FannedOutVersion >= policy.Version)
        {
            // Done before, but the org may not have heard (a lost one-way call): tell it again.
            await GrainFactory.GetOrg(orgId).PolicyFannedOutAsync(shard, policy.Version);
            return;
        }

        if (_fanOut is not { } running || running.Version != policy.Version || running.Task.IsFaulted)
        {
            _fanOut = running = (policy.Version, FanOutAsync(orgId, shard, policy));
        }

        // A large shard keeps going after the caller's wait ends; the org's reminder comes back until it is done.
        await Task.WhenAny(running.Task, Task.Delay(FanOutWait, _time));
    }

    private async Task FanOutAsync(string orgId, int shard, OrgPolicy policy)
    {
        var targets = Rows.Values.Where(r => r.MfaDesired).Select(r => r.DeviceId).ToArray();
        try
        {
            // A sliding window, not batches: one slow device does not hold up the next FanOutConcurrency - 1. The
            // workers interleave on this activation's scheduler, so the shared index needs no lock.
            var next = 0;
            async Task WorkAsync()
            {
                while (next < targets.Length)
                {
                    await GrainFactory.GetDevice(orgId, targets[next++]).ApplyOrgPolicyAsync(policy);
                }
            }

            await Task.WhenAll(Enumerable.Range(0, Math.Min(FanOutConcurrency, targets.Length)).Select(_ => WorkAsync()));
        }
        catch (Exception ex)
        {
            LogFanOutFailed(_logger, this.GetPrimaryKeyString(), policy.Version, ex);
            throw;
        }

        if (_state.State.FannedOutVersion < policy.Version)
        {
            _state.State.FannedOutVersion = policy.Version;
            await _writer.WriteAsync();
        }

        LogPolicyFannedOut(_logger, this.GetPrimaryKeyString(), policy.Version, targets.Length);
        await GrainFactory.GetOrg(orgId).PolicyFannedOutAsync(shard, policy.Version);
    }
}
