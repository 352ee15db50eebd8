using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace FleetMfa.Grains.Rollouts;

/// <summary>
/// A rollout: hands each index shard's devices to a <see cref="RolloutShardGrain"/>, keeps the totals the shards
/// report, aborts when the failure share reaches the threshold, and completes when every shard has finished. A
/// reminder resumes the shards after a silo restart until then.
/// </summary>
public sealed partial class RolloutGrain(
    [PersistentState("rollout", StorageNames.Fleet)] IPersistentState<RolloutState> state,
    DeepCopier<RolloutState> copier,
    ILogger<RolloutGrain> logger,
    TimeProvider time) : Grain, IRolloutGrain, IRemindable
{
    internal const string ReminderName = "rollout";
    internal static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly Dictionary<int, RolloutCounts> _shardCounts = [];
    private string _orgId = "";
    private string _rolloutId = "";
    private bool _finishedShardsChanged;

    private RolloutState State => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_orgId, _rolloutId) = GrainKeys.Split(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<RolloutSummary> StartAsync(RolloutSpec spec, IReadOnlyList<string>? deviceIds)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (State.Spec is not null)
        {
            throw new FleetMfaException(ErrorCodes.Conflict, $"Rollout '{_rolloutId}' already exists.");
        }

        spec.Validate();
        var byShard = Partition(deviceIds);
        await GrainFactory.GetOrg(_orgId).GetPolicyAsync(); // not-found for an org that does not exist

        // Stored before anything else happens, or not at all: a rollout whose start failed does not exist.
        await state.UpdateAsync(copier, s =>
        {
            s.Spec = spec;
            s.Status = RolloutStatus.Running;
            s.CreatedAt = time.GetUtcNow();
            s.Shards = byShard is null ? ulong.MaxValue : byShard.Keys.Aggregate(0UL, (mask, shard) => mask | Bit(shard));
            return s;
        });
        await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
        await GrainFactory.GetOrg(_orgId).AddRolloutAsync(_rolloutId);

        var shards = ShardIds(State.Shards).ToArray();
        var counts = await Task.WhenAll(shards.Select(s =>
            GrainFactory.GetRolloutShard(_orgId, _rolloutId, s).StartAsync(spec, shards.Length, byShard?[s])));
        for (var i = 0; i < shards.Length; i++)
        {
            Take(shards[i], counts[i], finished: counts[i].Pending == 0);
        }

        // Only now do the shards start their devices: a shard that started at once queued its devices' storage writes
        // ahead of the other shards' target lists, and the request waited behind them (27 s for 1,000 devices in
        // deploy/bench.sh fanout). Should this grain die here, its reminder resumes the shards.
        await Task.WhenAll(ShardIds(State.Shards & ~State.FinishedShards).Select(s => GrainFactory.GetRolloutShard(_orgId, _rolloutId, s).ResumeAsync()));

        var total = Sum();
        LogStarted(logger, _orgId, _rolloutId, spec.Action, total.Total, spec.CreatedBy);
        await AfterReportsAsync();
        return Summary(Sum());
    }

    public async Task<RolloutSummary?> GetAsync()
    {
        if (State.Spec is null)
        {
            return null;
        }

        if (State.FinalCounts is { } final)
        {
            return Summary(final);
        }

        var shards = ShardIds(State.Shards).ToArray();
        var counts = await Task.WhenAll(shards.Select(s => GrainFactory.GetRolloutShard(_orgId, _rolloutId, s).GetCountsAsync()));

        // This call interleaves: the rollout may have finished while the shards answered, and a finished rollout is
        // never shown with the counts read before it finished.
        return Summary(State.FinalCounts ?? counts.Aggregate(RolloutCounts.Empty, (sum, c) => sum.Add(c)));
    }

    public async Task<RolloutOutcomePage> GetOutcomesAsync(RolloutOutcomeQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (State.Spec is null)
        {
            throw FleetMfaException.NotFound($"Rollout '{_rolloutId}' does not exist in org '{_orgId}'.");
        }

        // Outcomes are ordered by shard, then device id; the cursor is "{shard}.{last device id}". One more than a
        // page is read, so that a cursor is only handed out when there really is a next page.
        var (shard, after) = ParseCursor(query.Cursor);
        var items = new List<(int Shard, DeviceOutcome Outcome)>(query.Limit + 1);
        foreach (var s in ShardIds(State.Shards).Where(s => s >= shard))
        {
            var page = await GrainFactory.GetRolloutShard(_orgId, _rolloutId, s)
                .QueryAsync(query.Outcome, s == shard ? after : null, query.Limit + 1 - items.Count);
            items.AddRange(page.Items.Select(o => (s, o)));
            if (items.Count > query.Limit)
            {
                var last = items[query.Limit - 1];
                return new RolloutOutcomePage([.. items.Take(query.Limit).Select(i => i.Outcome)], $"{last.Shard}.{last.Outcome.DeviceId}");
            }
        }

        return new RolloutOutcomePage([.. items.Select(i => i.Outcome)], null);
    }

    public async Task ReportShardAsync(int shard, RolloutCounts counts, bool finished)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (State.Spec is null || (State.Shards & Bit(shard)) == 0)
        {
            return;
        }

        Take(shard, counts, finished);
        await AfterReportsAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (State.Spec is null || State.Finished)
        {
            await StopReminderAsync();
            return;
        }

        // After a restart nobody else wakes the shards: resume each unfinished one and take its counts.
        var pending = ShardIds(State.Shards & ~State.FinishedShards).ToArray();
        var counts = await Task.WhenAll(pending.Select(s => GrainFactory.GetRolloutShard(_orgId, _rolloutId, s).ResumeAsync()));
        for (var i = 0; i < pending.Length; i++)
        {
            Take(pending[i], counts[i], finished: counts[i].Pending == 0);
        }

        await AfterReportsAsync();
    }

    /// <summary>Takes a shard's counts; a shard's finishing is persisted, since a finished shard never reports again.</summary>
    /// <summary>
    /// Takes a shard's counts unless those held are newer. Outcomes are final, so a shard's finished count only grows:
    /// counts with fewer finished are from before the ones held (a report that waited behind the reminder's resume of
    /// that shard, or one sent before a silo died and delivered after its successor's), and taking them would put
    /// devices back to pending — in the final counts too, when every shard has finished by then.
    /// </summary>
    private void Take(int shard, RolloutCounts counts, bool finished)
    {
        if (!_shardCounts.TryGetValue(shard, out var held) || counts.Finished >= held.Finished)
        {
            _shardCounts[shard] = counts;
        }

        if (finished && (State.FinishedShards & Bit(shard)) == 0)
        {
            State.FinishedShards |= Bit(shard);
            _finishedShardsChanged = true;
        }
    }

    /// <summary>Aborts when the failure share reaches the threshold; completes when every shard has finished.</summary>
    private async Task AfterReportsAsync()
    {
        var spec = State.Spec!;
        var changed = _finishedShardsChanged;
        _finishedShardsChanged = false;

        // After a reactivation the counts of shards that finished earlier (and never report again) are fetched once.
        var missing = ShardIds(State.Shards).Where(s => !_shardCounts.ContainsKey(s)).ToArray();
        var fetched = await Task.WhenAll(missing.Select(s => GrainFactory.GetRolloutShard(_orgId, _rolloutId, s).GetCountsAsync()));
        for (var i = 0; i < missing.Length; i++)
        {
            _shardCounts.TryAdd(missing[i], fetched[i]);
        }

        if (State.Status == RolloutStatus.Running && spec.AbortThresholdPercent is { } threshold && Sum() is var sum &&
            sum.Finished >= Math.Min(RolloutSpec.AbortMinimumFinished, sum.Total) && sum.Finished > 0 &&
            (sum.Rejected + sum.Failed) * 100L >= threshold * (long)sum.Finished)
        {
            State.Status = RolloutStatus.Aborted;
            changed = true;
            LogAborted(logger, _orgId, _rolloutId, sum.Rejected + sum.Failed, sum.Finished, threshold);
            await state.WriteOrRestoreAsync(this);
            await Task.WhenAll(ShardIds(State.Shards & ~State.FinishedShards).Select(s => GrainFactory.GetRolloutShard(_orgId, _rolloutId, s).AbortAsync()));
        }

        if (!State.Finished && State.FinishedShards == State.Shards)
        {
            var final = Sum();
            State.FinalCounts = final;
            State.FinishedAt = time.GetUtcNow();
            if (State.Status == RolloutStatus.Running)
            {
                State.Status = RolloutStatus.Completed;
            }

            changed = true;
            LogFinished(logger, _orgId, _rolloutId, State.Status, final.Succeeded, final.Rejected, final.Failed);
        }

        if (changed)
        {
            await state.WriteOrRestoreAsync(this);
        }

        if (State.Finished)
        {
            await StopReminderAsync();
        }
    }

    private async Task StopReminderAsync()
    {
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private RolloutCounts Sum() => _shardCounts.Values.Aggregate(RolloutCounts.Empty, (sum, c) => sum.Add(c));

    private RolloutSummary Summary(RolloutCounts counts) =>
        new(_rolloutId, State.Spec!, State.Status, State.CreatedAt, State.FinishedAt, counts);

    /// <summary>Explicit ids by index shard; <c>null</c> when the rollout takes the org's devices by filter.</summary>
    private static Dictionary<int, List<string>>? Partition(IReadOnlyList<string>? deviceIds)
    {
        if (deviceIds is null)
        {
            return null;
        }

        if (deviceIds.Count is 0 or > RolloutSpec.MaxDevices)
        {
            throw FleetMfaException.Validation($"deviceIds must hold 1 to {RolloutSpec.MaxDevices} device ids.");
        }

        var seen = new HashSet<string>(deviceIds.Count, StringComparer.Ordinal);
        var byShard = new Dictionary<int, List<string>>();
        foreach (var id in deviceIds)
        {
            Slug.Require(id, "deviceIds[]");
            if (!seen.Add(id))
            {
                throw FleetMfaException.Validation($"deviceIds holds '{id}' twice.");
            }

            var shard = GrainKeys.DeviceShard(id);
            if (!byShard.TryGetValue(shard, out var list))
            {
                byShard[shard] = list = [];
            }

            list.Add(id);
        }

        return byShard;
    }

    private static (int Shard, string? After) ParseCursor(string? cursor)
    {
        if (cursor is null)
        {
            return (0, null);
        }

        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 &&
            int.TryParse(cursor.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var shard) &&
            shard < GrainKeys.DeviceIndexShards && Slug.IsValid(cursor[(dot + 1)..])
            ? (shard, cursor[(dot + 1)..])
            : throw FleetMfaException.Validation("cursor is not a cursor this rollout handed out.");
    }

    private static ulong Bit(int shard) => 1UL << shard;

    private static IEnumerable<int> ShardIds(ulong mask)
    {
        for (var s = 0; s < GrainKeys.DeviceIndexShards; s++)
        {
            if ((mask & Bit(s)) != 0)
            {
                yield return s;
            }
        }
    }
}
