using FleetMfa.Grains.Diagnostics;
using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace FleetMfa.Grains.Rollouts;

/// <summary>
/// A rollout's devices in one index shard: a thin shell around <see cref="RolloutShardPlan"/>. Every call, device answer
/// and tick is a decision on the shard's state, stored together with the effects it put in the outbox — ask a device,
/// report the counts to the rollout — before any of them is carried out (<see cref="BatchedUpdates{TState}"/>: decisions
/// made while a write is in flight share the next one). An effect's result comes back as a decision of its own. An
/// effect that failed, or whose result could not be stored, is still in the stored outbox: the one-second tick runs it
/// again, and so does the next activation. A failed write leaves the state as stored.
/// <para>
/// Data flows one way: the rollout starts, resumes and aborts the shard; the shard asks devices and reports counts up;
/// a device tells the shard how its version settled from its own outbox, after the shard's call returned. A request
/// here waits only for its own decision to be stored, and effects run as tasks of their own, so no call waits on a call
/// back into this grain. <see cref="ReentrantAttribute"/> lets a burst of answers share a write; nothing relies on it.
/// </para>
/// </summary>
[Reentrant]
public sealed partial class RolloutShardGrain : Grain, IRolloutShardGrain
{
    internal static readonly TimeSpan TickPeriod = TimeSpan.FromSeconds(1);

    private readonly BatchedUpdates<RolloutShardState> _updates;
    private readonly ILogger<RolloutShardGrain> _logger;
    private readonly FleetMetrics _metrics;
    private readonly TimeProvider _time;

    /// <summary>Effects of the stored outbox being carried out right now.</summary>
    private readonly HashSet<RolloutShardEffect> _running = [];

    private string _orgId = "";
    private string _rolloutId = "";
    private int _shard;
    private DateTimeOffset _activatedAt;

    /// <summary>The stored counts the metrics and logs have seen.</summary>
    private RolloutCounts _seen = RolloutCounts.Empty;

    private IGrainTimer? _timer;

    public RolloutShardGrain(
        [PersistentState("rolloutShard", StorageNames.Fleet)] IPersistentState<RolloutShardState> state,
        DeepCopier<RolloutShardState> copier,
        ILogger<RolloutShardGrain> logger,
        FleetMetrics metrics,
        TimeProvider time)
    {
        _updates = new BatchedUpdates<RolloutShardState>(state, copier, AfterStored);
        _logger = logger;
        _metrics = metrics;
        _time = time;
    }

    private RolloutShardState Stored => _updates.Stored;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_orgId, _rolloutId, _shard) = GrainKeys.SplitRolloutShard(this.GetPrimaryKeyString());
        _activatedAt = _time.GetUtcNow();
        _seen = RolloutShardPlan.Counts(Stored);
        if (RolloutShardPlan.HasWork(Stored))
        {
            LogShardResumed(_logger, _orgId, _rolloutId, _shard, Stored.InFlight, Stored.Outbox.Count);

            // The outbox runs again, and devices an earlier activation asked are asked again: they may have settled unseen.
            StartTicking();
            RunOutbox();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Nothing of this activation runs or writes from here on. An ask still out may answer after Orleans deactivated it
    /// (a silo's death moves grains), and a new activation may already run the same outbox: were the old one to keep
    /// deciding and starting effects, the two would overwrite each other's row for as long as effects chain.
    /// </summary>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _updates.Close();
        _timer?.Dispose();
        _timer = null;
        LogShardDeactivated(_logger, _orgId, _rolloutId, _shard, reason.ReasonCode, _running.Count);
        return Task.CompletedTask;
    }

    public async Task<RolloutCounts> StartAsync(RolloutSpec spec, int participatingShards, IReadOnlyList<string>? deviceIds)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Stored.Spec is null)
        {
            var ids = deviceIds ?? await MatchingDevicesAsync(spec.Os);
            var now = _time.GetUtcNow();
            await DecideAsync(s => RolloutShardPlan.Start(s, spec, participatingShards, ids, now));
            LogShardStarted(_logger, _orgId, _rolloutId, _shard, Stored.Targets.Count);
        }

        // The devices start on ResumeAsync, once the rollout has every shard's targets stored.
        return RolloutShardPlan.Counts(Stored);
    }

    public async Task<RolloutCounts> ResumeAsync()
    {
        if (RolloutShardPlan.HasWork(Stored))
        {
            // The first devices are asked before this returns (as the rollout's start promises), the rest on the tick.
            StartTicking();
            await TickAsync(CancellationToken.None);
        }

        return RolloutShardPlan.Counts(Stored);
    }

    public async Task AbortAsync()
    {
        if (Stored.Spec is not null && !Stored.Aborted)
        {
            await DecideAsync(RolloutShardPlan.Abort);
            LogShardAborted(_logger, _orgId, _rolloutId, _shard);
        }
    }

    public Task DeviceSettledAsync(string deviceId, RolloutStep settled)
    {
        var now = _time.GetUtcNow();
        return DecideAsync(s => RolloutShardPlan.Settled(s, deviceId, settled, now));
    }

    public Task<RolloutCounts> GetCountsAsync() => Task.FromResult(RolloutShardPlan.Counts(Stored));

    public Task<RolloutOutcomePage> QueryAsync(RolloutOutcome? outcome, string? afterDeviceId, int limit)
    {
        var targets = Stored.Targets;
        var start = afterDeviceId is null ? 0 : OrdinalSearch.UpperBound(targets, t => t.DeviceId, afterDeviceId);
        var items = new List<DeviceOutcome>(Math.Min(limit, 64));
        for (var i = start; i < targets.Count && items.Count < limit; i++)
        {
            if (outcome is null || targets[i].Outcome == outcome)
            {
                items.Add(targets[i].ToOutcome());
            }
        }

        // A full page names its last id; the rollout reads one more than it returns, so it never hands out an empty next page.
        return Task.FromResult(new RolloutOutcomePage(items, items.Count == limit ? items[^1].DeviceId : null));
    }

    private async Task<List<string>> MatchingDevicesAsync(DeviceOs? os)
    {
        var index = GrainFactory.GetDeviceIndexShard(_orgId, _shard);
        var ids = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await index.QueryAsync(new DeviceQuery(os, null, null, after, DeviceQuery.MaxLimit));
            ids.AddRange(page.Select(r => r.DeviceId));
            if (page.Count < DeviceQuery.MaxLimit)
            {
                return ids;
            }

            after = page[^1].DeviceId;
        }
    }

    private Task DecideAsync(Func<RolloutShardState, IReadOnlyList<RolloutShardEffect>?> decide) =>
        _updates.DecideAsync(s => decide(s) is not null);

    private void StartTicking() =>
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(TickPeriod, TickPeriod) { Interleave = true, KeepAlive = true });

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            await DecideAsync(s => RolloutShardPlan.Tick(s, now, _activatedAt));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNotStored(_logger, _orgId, _rolloutId, _shard, ex);
        }

        RunOutbox();
        if (!RolloutShardPlan.HasWork(Stored) && _timer is not null)
        {
            _timer.Dispose();
            _timer = null;
        }
    }

    /// <summary>After every stored write: the metrics and logs follow the stored counts, and the new effects start.</summary>
    private void AfterStored()
    {
        var counts = RolloutShardPlan.Counts(Stored);
        _metrics.RolloutDevicesFinished(counts.Succeeded - _seen.Succeeded, counts.Rejected - _seen.Rejected, counts.Failed - _seen.Failed);
        if (counts.Total > 0 && counts.Pending == 0 && _seen.Pending > 0)
        {
            LogShardFinished(_logger, _orgId, _rolloutId, _shard, counts.Succeeded, counts.Rejected, counts.Failed);
        }

        _seen = counts;
        RunOutbox();
    }

    /// <summary>Starts every effect of the stored outbox that is not running; reports go one at a time, so they arrive in order.</summary>
    private void RunOutbox()
    {
        if (_updates.IsClosed)
        {
            return;
        }

        foreach (var effect in Stored.Outbox.ToList())
        {
            if (_running.Contains(effect) || (effect.Kind == RolloutShardEffectKind.ReportProgress && _running.Any(e => e.Kind == effect.Kind)))
            {
                continue;
            }

            _running.Add(effect);
            _ = effect.Kind == RolloutShardEffectKind.AskDevice ? AskAsync(effect) : ReportAsync(effect);
        }
    }

    /// <summary>
    /// Asks a device for its step: applies the change (version 0), else checks the awaited version. The answer, or that
    /// the device could not be reached, is the next decision; until that is stored the ask stays running (and in the outbox).
    /// </summary>
    private async Task AskAsync(RolloutShardEffect ask)
    {
        try
        {
            RolloutStep? step;
            try
            {
                var spec = Stored.Spec!;
                var ticket = new RolloutTicket(_rolloutId, _shard, spec.Action, spec.Force);
                var device = GrainFactory.GetDevice(_orgId, ask.DeviceId!);
                step = ask.Version == 0 ? await device.ApplyRolloutAsync(ticket) : await device.CheckRolloutAsync(ticket, ask.Version);
            }
            catch (FleetMfaException ex)
            {
                step = new RolloutStep(RolloutOutcome.Failed, ask.Version, ex.Code, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogDeviceUnreachable(_logger, _orgId, _rolloutId, ask.DeviceId!, ex);
                step = null;
            }

            if (_updates.IsClosed)
            {
                // The next activation asks again every device an earlier one asked.
                return;
            }

            var now = _time.GetUtcNow();
            await DecideAsync(s => step is null ? RolloutShardPlan.Unreachable(s, ask, now) : RolloutShardPlan.Answered(s, ask, step, now));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNotStored(_logger, _orgId, _rolloutId, _shard, ex);
        }
        finally
        {
            _running.Remove(ask);
        }
    }

    /// <summary>Sends counts to the rollout; once that is stored as done, a newer report waiting behind it goes.</summary>
    private async Task ReportAsync(RolloutShardEffect report)
    {
        try
        {
            await GrainFactory.GetRollout(_orgId, _rolloutId).ReportShardAsync(_shard, report.Counts!, report.Finished);
            if (_updates.IsClosed)
            {
                return;
            }

            await DecideAsync(s => RolloutShardPlan.Reported(s, report));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Still in the outbox: the next tick sends it again (and the rollout's reminder asks for the counts anyway).
            LogReportFailed(_logger, _orgId, _rolloutId, _shard, ex);
            return;
        }
        finally
        {
            _running.Remove(report);
        }

        RunOutbox();
    }
}
