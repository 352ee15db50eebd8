using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// One of an org's <see cref="GrainKeys.DeviceIndexShards"/> index slices. It holds its rows in memory and keeps each in
/// the <see cref="IDeviceIndexStore"/> as a record of its own, so a row change costs one small write at any org size.
/// Row updates interleave and share storage writes (group commit): a burst of acks costs a few writes rather than one
/// per device, and a long fan-out never blocks the devices that report to this shard. The shard's own state (the org
/// policy and how far it was handed out) is grain state.
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

    /// <summary>
    /// When a new activation reads the store once more. While the cluster decides that a silo died, the shard can
    /// briefly have a second activation whose row writes this one has not read; well after that window closes, this
    /// one takes them.
    /// </summary>
    internal static readonly TimeSpan ReconcileDelay = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan CatchUpRetryPeriod = TimeSpan.FromSeconds(5);

    private readonly IPersistentState<DeviceIndexShardState> _state;
    private readonly IDeviceIndexStore _store;
    private readonly GroupCommit _stateWriter;
    private readonly GroupCommit _rowWriter;
    private readonly ILogger<DeviceIndexShardGrain> _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, DeviceRow> _rows = new(StringComparer.Ordinal);

    /// <summary>Devices that upserted knowing an older org policy than this shard's, waiting for <see cref="CatchUpAsync"/>.</summary>
    private readonly HashSet<string> _behindPolicy = new(StringComparer.Ordinal);
    private IGrainTimer? _catchUp;
    private Dictionary<string, DeviceRow> _unwritten = new(StringComparer.Ordinal);
    private IReadOnlyCollection<string> _writing = [];
    private HashSet<string>? _changedWhileReconciling;
    private string[]? _sortedIds;
    private (long Version, Task Task)? _fanOut;
    private string _orgId = "";
    private int _shard;

    public DeviceIndexShardGrain(
        [PersistentState("deviceIndex", StorageNames.Fleet)] IPersistentState<DeviceIndexShardState> state,
        IDeviceIndexStore store,
        ILogger<DeviceIndexShardGrain> logger,
        TimeProvider time)
    {
        _state = state;
        _store = store;
        _stateWriter = new GroupCommit(WriteStateMergingAsync);
        _rowWriter = new GroupCommit(WriteRowsAsync);
        _logger = logger;
        _time = time;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (orgId, shard) = GrainKeys.Split(this.GetPrimaryKeyString());
        _orgId = orgId;
        _shard = int.Parse(shard, System.Globalization.CultureInfo.InvariantCulture);
        foreach (var row in await _store.ReadAsync(_orgId, _shard, cancellationToken))
        {
            _rows[row.DeviceId] = row;
        }

        this.RegisterGrainTimer(ReconcileAsync, ReconcileDelay, Timeout.InfiniteTimeSpan);
    }

    public async Task UpsertAsync(DeviceRow row, long knownPolicyVersion)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!_rows.TryGetValue(row.DeviceId, out var existing) || existing != row)
        {
            Put(row);
            await _rowWriter.WriteAsync();
        }

        if (_state.State.Policy is { } policy && policy.Version > knownPolicyVersion && _behindPolicy.Add(row.DeviceId))
        {
            _catchUp ??= this.RegisterGrainTimer(CatchUpAsync, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Hands the shard's org policy to the devices that upserted with an older one; those it cannot reach are tried again.</summary>
    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        _catchUp?.Dispose();
        _catchUp = null;
        var policy = _state.State.Policy!;
        foreach (var deviceId in _behindPolicy.ToArray())
        {
            try
            {
                await GrainFactory.GetDevice(_orgId, deviceId).ApplyOrgPolicyAsync(policy);
                _behindPolicy.Remove(deviceId);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCatchUpFailed(_logger, this.GetPrimaryKeyString(), deviceId, ex);
            }
        }

        if (_behindPolicy.Count > 0)
        {
            _catchUp = this.RegisterGrainTimer(CatchUpAsync, CatchUpRetryPeriod, Timeout.InfiniteTimeSpan);
        }
    }

    private void Put(DeviceRow row)
    {
        if (!_rows.ContainsKey(row.DeviceId))
        {
            _sortedIds = null;
        }

        _rows[row.DeviceId] = row;
        _unwritten[row.DeviceId] = row;
        _changedWhileReconciling?.Add(row.DeviceId);
    }

    /// <summary>Writes the rows changed since the last write; those that fail to land go with the next one.</summary>
    private async Task WriteRowsAsync()
    {
        var rows = _unwritten;
        if (rows.Count == 0)
        {
            return;
        }

        _unwritten = new Dictionary<string, DeviceRow>(StringComparer.Ordinal);
        _writing = rows.Keys;
        try
        {
            await _store.WriteAsync(_orgId, _shard, rows.Values);
        }
        catch
        {
            foreach (var (id, row) in rows)
            {
                // A row changed again meanwhile is newer than this one.
                _unwritten.TryAdd(id, row);
            }

            throw;
        }
        finally
        {
            _writing = [];
        }
    }

    /// <summary>
    /// Writes the shard's state. Storage answering with a stale ETag means that another activation of this shard
    /// wrote too — briefly possible while the cluster decides that a silo died — or that a write timed out after it
    /// landed: this one re-reads the stored state, keeps the newer policy and the furthest fan-out, and writes that.
    /// </summary>
    private Task WriteStateMergingAsync() =>
        _state.WriteOwnedStateAsync((mine, stored) =>
        {
            if (mine.Policy is { } policy && (stored.Policy is null || stored.Policy.Version < policy.Version))
            {
                stored.Policy = policy;
            }

            stored.FannedOutVersion = Math.Max(stored.FannedOutVersion, mine.FannedOutVersion);
            LogMergedAfterConflict(_logger, this.GetPrimaryKeyString(), stored.Policy?.Version ?? 0);
        });

    /// <summary>
    /// Reads the store again and takes the rows that another activation wrote after this one read it
    /// (<see cref="ReconcileDelay"/>). Rows this activation changed since the read began are its own and newer.
    /// </summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var mine = _changedWhileReconciling = [.. _unwritten.Keys, .. _writing];
        try
        {
            var taken = 0;
            foreach (var row in await _store.ReadAsync(_orgId, _shard, cancellationToken))
            {
                if (!mine.Contains(row.DeviceId) && (!_rows.TryGetValue(row.DeviceId, out var known) || known != row))
                {
                    _sortedIds = known is null ? null : _sortedIds;
                    _rows[row.DeviceId] = row;
                    taken++;
                }
            }

            if (taken > 0)
            {
                LogReconciled(_logger, this.GetPrimaryKeyString(), taken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReconcileFailed(_logger, this.GetPrimaryKeyString(), ex);
        }
        finally
        {
            _changedWhileReconciling = null;
        }
    }

    public async Task RemoveAsync(string deviceId)
    {
        if (_rows.Remove(deviceId))
        {
            _sortedIds = null;
        }

        // A write of the row queued or in flight would bring it back: it goes from the queue, and the delete waits for
        // the write in flight (the next group-commit write is one without it).
        _unwritten.Remove(deviceId);
        _behindPolicy.Remove(deviceId);

        // A reconcile reading the store meanwhile may still see the row: it must not bring it back.
        _changedWhileReconciling?.Add(deviceId);
        if (_writing.Contains(deviceId))
        {
            await _rowWriter.WriteAsync();
        }

        await _store.DeleteAsync(_orgId, _shard, deviceId);
    }

    public Task<IReadOnlyList<DeviceRow>> QueryAsync(DeviceQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        _sortedIds ??= [.. _rows.Keys.Order(StringComparer.Ordinal)];
        var start = query.After is null ? 0 : OrdinalSearch.UpperBound(_sortedIds, id => id, query.After);
        var page = new List<DeviceRow>(Math.Min(query.Limit, 64));
        for (var i = start; i < _sortedIds.Length && page.Count < query.Limit; i++)
        {
            var row = _rows[_sortedIds[i]];
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
        var total = 0;
        foreach (var row in _rows.Values.Where(r => !r.Decommissioned))
        {
            total++;
            switch (row.MfaStatus)
            {
                case MfaStatus.Disabled: disabled++; break;
                case MfaStatus.Pending: pending++; break;
                case MfaStatus.Enabled: enabled++; break;
                case MfaStatus.Failed: failed++; break;
            }
        }

        return Task.FromResult(new MfaStatusCounts(total, disabled, pending, enabled, failed));
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
            await _stateWriter.WriteAsync();
        }

        if (_state.State.FannedOutVersion >= policy.Version)
        {
            // Done before, but the org may not have heard (a lost one-way call): tell it again.
            await GrainFactory.GetOrg(_orgId).PolicyFannedOutAsync(_shard, policy.Version);
            return;
        }

        if (_fanOut is not { } running || running.Version != policy.Version || running.Task.IsFaulted)
        {
            _fanOut = running = (policy.Version, FanOutAsync(policy));
        }

        // A large shard keeps going after the caller's wait ends; the org's reminder comes back until it is done.
        await Task.WhenAny(running.Task, Task.Delay(FanOutWait, _time));
    }

    private async Task FanOutAsync(OrgPolicy policy)
    {
        var targets = _rows.Values.Where(r => r.MfaDesired && !r.Decommissioned).Select(r => r.DeviceId).ToArray();
        try
        {
            // A sliding window, not batches: one slow device does not hold up the next FanOutConcurrency - 1. The
            // workers interleave on this activation's scheduler, so the shared index needs no lock.
            var next = 0;
            async Task WorkAsync()
            {
                while (next < targets.Length)
                {
                    await GrainFactory.GetDevice(_orgId, targets[next++]).ApplyOrgPolicyAsync(policy);
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
            await _stateWriter.WriteAsync();
        }

        LogPolicyFannedOut(_logger, this.GetPrimaryKeyString(), policy.Version, targets.Length);
        await GrainFactory.GetOrg(_orgId).PolicyFannedOutAsync(_shard, policy.Version);
    }
}
