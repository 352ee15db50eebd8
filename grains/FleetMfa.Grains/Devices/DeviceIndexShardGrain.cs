using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace FleetMfa.Grains.Devices;

/// <summary>
/// One of an org's <see cref="GrainKeys.DeviceIndexShards"/> index slices. It holds its rows in memory and keeps each in
/// the <see cref="IDeviceIndexStore"/> as a record of its own, so a row change costs one small write at any org size.
/// The shard's own state (the org policy and the version every device with MFA on acknowledged) is grain state.
/// <para>
/// The org policy goes down one-way: the shard sends it to its devices with MFA on that are behind, a window of
/// <see cref="FanOutConcurrency"/> at a time (<see cref="PolicyFanOutWindow"/>), and a device acknowledges by
/// upserting its row, which carries the policy version it holds. So the shard never waits on a device, and a device's
/// row write never waits on the shard's fan-out: no call of this grain waits on a call back into it. Which devices are
/// behind follows from the stored rows and the stored policy, so a new activation carries on where the last stopped.
/// </para>
/// <para>
/// <see cref="ReentrantAttribute"/> is for throughput only: row updates interleave so that they share storage writes
/// (group commit: a burst of acks costs a few writes rather than one per device), and reads are answered while a
/// write is in flight. Nothing relies on it to avoid a deadlock.
/// </para>
/// </summary>
[Reentrant]
public sealed partial class DeviceIndexShardGrain : Grain, IDeviceIndexShardGrain
{
    /// <summary>
    /// How many devices a shard has sent the policy to and not heard back from, at most. Every one is a storage write,
    /// and all 64 shards fan out together: at 64 each, 4,096 writes queued behind one Azurite and answers took over
    /// Orleans' 30 s response timeout (deploy/bench.sh org-switch at 20,000 devices); 16 each keeps about a thousand in
    /// flight.
    /// </summary>
    internal const int FanOutConcurrency = 16;

    /// <summary>How long a device has to acknowledge the policy (its row with the policy version) before it is sent it again.</summary>
    internal static readonly TimeSpan PolicyAckTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How often a fan-out in progress looks for overdue acknowledgements (acknowledgements move it on at once).</summary>
    internal static readonly TimeSpan FanOutTick = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When a new activation reads the store once more. While the cluster decides that a silo died, the shard can
    /// briefly have a second activation whose row writes this one has not read; well after that window closes, this
    /// one takes them.
    /// </summary>
    internal static readonly TimeSpan ReconcileDelay = TimeSpan.FromMinutes(2);

    private readonly IPersistentState<DeviceIndexShardState> _state;
    private readonly IDeviceIndexStore _store;
    private readonly GroupCommit _stateWriter;
    private readonly GroupCommit _rowWriter;
    private readonly ILogger<DeviceIndexShardGrain> _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, DeviceRow> _rows = new(StringComparer.Ordinal);
    private readonly PolicyFanOutWindow _fanOut = new(FanOutConcurrency, PolicyAckTimeout);
    private IGrainTimer? _fanOutTimer;
    private Dictionary<string, DeviceRow> _unwritten = new(StringComparer.Ordinal);
    private IReadOnlyCollection<string> _writing = [];
    private HashSet<string>? _changedWhileReconciling;
    private string[]? _sortedIds;
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

        // A fan-out the last activation did not finish (or finished without storing so): it carries on from the rows.
        QueueDevicesBehind();
        await ContinueFanOutAsync();
    }

    public async Task UpsertAsync(DeviceRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var changed = !_rows.TryGetValue(row.DeviceId, out var existing) || existing != row;
        if (changed)
        {
            Put(row);
        }

        // The row is the device's answer to the fan-out: an acknowledgement of the policy it was sent, or a device that
        // is behind (it raced an org-wide change, or was sent a policy superseded since). The window moves on before the
        // row is stored: should the shard die first, the row read back says the device is behind, and it is sent again.
        _fanOut.Acknowledge(row.DeviceId, row.PolicyVersion);
        if (IsBehind(row))
        {
            _fanOut.Enqueue(row.DeviceId);
        }

        var fanOut = ContinueFanOutAsync();
        try
        {
            if (changed)
            {
                await _rowWriter.WriteAsync();
            }
        }
        finally
        {
            await fanOut;
        }
    }

    /// <summary>Whether <paramref name="row"/>'s device must be sent the shard's policy: MFA on, in service, holding an older version.</summary>
    private bool IsBehind(DeviceRow row) =>
        _state.State.Policy is { } policy && row.PolicyVersion < policy.Version && row.MfaDesired && !row.Decommissioned;

    private bool IsBehind(string deviceId) => _rows.TryGetValue(deviceId, out var row) && IsBehind(row);

    /// <summary>Queues, in device-id order, every device behind the stored policy (a newer policy, a new activation).</summary>
    private void QueueDevicesBehind()
    {
        _fanOut.ClearQueue();
        foreach (var deviceId in SortedIds())
        {
            if (IsBehind(_rows[deviceId]))
            {
                _fanOut.Enqueue(deviceId);
            }
        }
    }

    /// <summary>
    /// Sends the policy (one-way) to as many devices as the window allows, again to those that did not acknowledge in
    /// time; while any are left, a timer comes back every <see cref="FanOutTick"/>. Once none are, stores that every
    /// device has the policy and tells the org — once per version.
    /// </summary>
    private async Task ContinueFanOutAsync()
    {
        if (_state.State.Policy is not { } policy)
        {
            return;
        }

        var send = _fanOut.Take(policy.Version, _time.GetUtcNow(), IsBehind, out var resent);
        foreach (var deviceId in send)
        {
            GrainFactory.GetDevice(_orgId, deviceId).ApplyOrgPolicyAsync(policy).Ignore();
        }

        if (resent > 0)
        {
            LogPolicyResent(_logger, this.GetPrimaryKeyString(), policy.Version, resent);
        }

        if (!_fanOut.IsIdle)
        {
            _fanOutTimer ??= this.RegisterGrainTimer(_ => ContinueFanOutAsync(), FanOutTick, FanOutTick);
            return;
        }

        _fanOutTimer?.Dispose();
        _fanOutTimer = null;
        if (_state.State.FannedOutVersion >= policy.Version)
        {
            return;
        }

        var before = _state.State.FannedOutVersion;
        _state.State.FannedOutVersion = policy.Version;
        try
        {
            await _stateWriter.WriteAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not stored, so not done: the timer tries again.
            _state.State.FannedOutVersion = Math.Min(_state.State.FannedOutVersion, before);
            _fanOutTimer ??= this.RegisterGrainTimer(_ => ContinueFanOutAsync(), FanOutTick, FanOutTick);
            LogFanOutNotRecorded(_logger, this.GetPrimaryKeyString(), policy.Version, ex);
            return;
        }

        LogPolicyFannedOut(_logger, this.GetPrimaryKeyString(), policy.Version);
        await GrainFactory.GetOrg(_orgId).PolicyFannedOutAsync(_shard, policy.Version);
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
                    if (IsBehind(row))
                    {
                        _fanOut.Enqueue(row.DeviceId);
                    }

                    taken++;
                }
            }

            if (taken > 0)
            {
                LogReconciled(_logger, this.GetPrimaryKeyString(), taken);
                await ContinueFanOutAsync();
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
        _fanOut.Forget(deviceId);

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
        var sortedIds = SortedIds();
        var start = query.After is null ? 0 : OrdinalSearch.UpperBound(sortedIds, id => id, query.After);
        var page = new List<DeviceRow>(Math.Min(query.Limit, 64));
        for (var i = start; i < sortedIds.Length && page.Count < query.Limit; i++)
        {
            var row = _rows[sortedIds[i]];
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

    private string[] SortedIds() => _sortedIds ??= [.. _rows.Keys.Order(StringComparer.Ordinal)];

    public async Task ApplyOrgPolicyAsync(OrgPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var known = _state.State.Policy;
        if (known is not null && known.Version > policy.Version)
        {
            return;
        }

        if (known?.Version != policy.Version)
        {
            // Stored before any device is sent it: a new activation carries on with the stored policy.
            _state.State.Policy = policy;
            try
            {
                await _stateWriter.WriteAsync();
            }
            catch
            {
                if (ReferenceEquals(_state.State.Policy, policy))
                {
                    _state.State.Policy = known;
                }

                throw;
            }

            QueueDevicesBehind();
        }
        else if (_state.State.FannedOutVersion >= policy.Version)
        {
            // Done before, but the org may not have heard (a lost one-way call): tell it again.
            await GrainFactory.GetOrg(_orgId).PolicyFannedOutAsync(_shard, policy.Version);
            return;
        }

        // The devices are not waited for: they acknowledge with their rows, and the org hears once all have.
        await ContinueFanOutAsync();
    }
}
