using FleetMfa.Grains.Diagnostics;
using FleetMfa.Grains.Internal;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace FleetMfa.Grains.Rollouts;

/// <summary>
/// A rollout's devices in one index shard. Devices start with bounded concurrency and rate; each answers at once
/// (refused, already there) or later, when its agent acknowledges — the device grain then calls
/// <see cref="DeviceSettledAsync"/>. A one-second tick times devices out, retries ones that could not be reached,
/// asks devices slow to acknowledge again (<see cref="AckRecheck"/>), persists progress and reports counts to the rollout.
/// <para>
/// Every step towards a device is idempotent (enabling an enabled device changes nothing and returns where it
/// stands), so progress is written lazily: after a crash the shard re-asks the devices it had in flight and those
/// it started since its last write, and arrives at the same outcomes.
/// </para>
/// </summary>
[Reentrant]
public sealed partial class RolloutShardGrain : Grain, IRolloutShardGrain
{
    internal static readonly TimeSpan TickPeriod = TimeSpan.FromSeconds(1);

    /// <summary>How long a device that could not be reached waits before it is asked again.</summary>
    internal static readonly TimeSpan UnreachableRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When a device still waiting for its agent's ack is first asked again. The ack may have been lost with a silo (a
    /// report in a dead silo's MQTT bridge, or routed to a device activation on it); asked again, the device publishes
    /// its desired state once more and the agent answers again, well before the ack timeout. Later asks back off (each
    /// waits half the time the device has been waiting): an ack that is only late, queued behind a burst, must not
    /// bring a publish and another report every 30 s.
    /// </summary>
    internal static readonly TimeSpan AckRecheck = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many device calls (apply or check) a shard has in flight at once, whatever the rollout's concurrency. Each
    /// is a storage write; with all 10,000 of a rollout's devices called at once (deploy/bench.sh fanout) the writes
    /// queued past Orleans' 30 s response timeout, every timed-out device was asked again, and the agents' acks
    /// waited behind the retries: 911 of 10,000 applied in three minutes. 64 shards × 8 keep about 500 writes queued.
    /// </summary>
    internal const int CallConcurrency = 8;

    /// <summary>Report counts to the rollout after this share of the shard's devices finished (and on every failure).</summary>
    private const int ReportEveryPercent = 5;

    private readonly IPersistentState<RolloutShardState> _state;
    private readonly GroupCommit _writer;
    private readonly ILogger<RolloutShardGrain> _logger;
    private readonly FleetMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _asking = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _askedAt = new(StringComparer.Ordinal);
    private Dictionary<string, RolloutTarget> _byId = new(StringComparer.Ordinal);
    private string _orgId = "";
    private string _rolloutId = "";
    private int _shard;
    private RolloutPacer? _pacer;
    private IGrainTimer? _timer;
    private Task<RolloutCounts>? _starting;
    private int _inFlight;
    private int _succeeded;
    private int _rejected;
    private int _failed;
    private bool _dirty;
    private int _reportedFinished = -1;
    private bool _reporting;
    private bool _reportAgain;
    private bool _finishedReported;

    public RolloutShardGrain(
        [PersistentState("rolloutShard", StorageNames.Fleet)] IPersistentState<RolloutShardState> state,
        ILogger<RolloutShardGrain> logger,
        FleetMetrics metrics,
        TimeProvider time)
    {
        _state = state;
        _writer = state.CoalescedWrites();
        _logger = logger;
        _metrics = metrics;
        _time = time;
    }

    private RolloutShardState State => _state.State;

    private RolloutSpec Spec => State.Spec ?? throw new InvalidOperationException("The rollout shard has not started.");

    private int Finished => _succeeded + _rejected + _failed;

    private bool Done => State.Spec is not null && Finished == State.Targets.Count;

    /// <summary>The shard's share of the rollout's concurrency (at least one device).</summary>
    private int Concurrency => Math.Max(1, (int)Math.Ceiling(Spec.MaxConcurrency / (double)State.ParticipatingShards));

    private RolloutTicket Ticket => new(_rolloutId, _shard, Spec.Action, Spec.Force);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_orgId, _rolloutId, _shard) = GrainKeys.SplitRolloutShard(this.GetPrimaryKeyString());
        Index();
        if (State.Spec is not null && !Done)
        {
            // Whatever was in flight when the last activation ended may have settled unseen: ask those devices again.
            foreach (var target in State.Targets.Where(t => t.InFlight))
            {
                _askedAt[target.DeviceId] = DateTimeOffset.MinValue;
            }

            StartWorking();
        }

        return Task.CompletedTask;
    }

    public Task<RolloutCounts> StartAsync(RolloutSpec spec, int participatingShards, IReadOnlyList<string>? deviceIds)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (State.Spec is not null)
        {
            return Task.FromResult(Counts());
        }

        return _starting ??= StartCoreAsync(spec, participatingShards, deviceIds);
    }

    private async Task<RolloutCounts> StartCoreAsync(RolloutSpec spec, int participatingShards, IReadOnlyList<string>? deviceIds)
    {
        var ids = deviceIds ?? await MatchingDevicesAsync(spec.Os);
        State.Spec = spec;
        State.ParticipatingShards = Math.Clamp(participatingShards, 1, GrainKeys.DeviceIndexShards);
        State.Targets = [.. ids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(id => new RolloutTarget { DeviceId = id })];
        Index();
        await _writer.WriteAsync();
        LogShardStarted(_logger, _orgId, _rolloutId, _shard, State.Targets.Count);

        // The devices start on ResumeAsync, once the rollout has every shard's targets stored.
        return Counts();
    }

    public Task<RolloutCounts> ResumeAsync()
    {
        if (State.Spec is not null && !Done)
        {
            StartWorking();
        }

        return Task.FromResult(Counts());
    }

    public async Task AbortAsync()
    {
        if (State.Spec is null || State.Aborted)
        {
            return;
        }

        State.Aborted = true;
        for (; State.Next < State.Targets.Count; State.Next++)
        {
            var target = State.Targets[State.Next];
            if (target.Outcome == RolloutOutcome.Pending && target.StartedAt is null)
            {
                target.Settle(RolloutOutcome.Failed, ErrorCodes.Aborted, "The rollout was aborted before this device was started.");
                _failed++;
                _metrics.RolloutDeviceFinished("failed");
            }
        }

        LogShardAborted(_logger, _orgId, _rolloutId, _shard);
        _dirty = true;
        await AfterChangeAsync();
    }

    public Task DeviceSettledAsync(string deviceId, RolloutStep settled)
    {
        ArgumentNullException.ThrowIfNull(settled);
        return _byId.TryGetValue(deviceId, out var target) && target.InFlight && settled.Version >= target.Version
            ? RecordAsync(target, settled)
            : Task.CompletedTask;
    }

    public Task<RolloutCounts> GetCountsAsync() => Task.FromResult(Counts());

    public Task<RolloutOutcomePage> QueryAsync(RolloutOutcome? outcome, string? afterDeviceId, int limit)
    {
        var targets = State.Targets;
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

    private void StartWorking()
    {
        _pacer ??= new RolloutPacer(Spec.RatePerMinute / (double)State.ParticipatingShards, _time);
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(TickPeriod, TickPeriod) { Interleave = true, KeepAlive = true });
        Pump();
        if (Done)
        {
            _ = AfterChangeAsync();
        }
    }

    /// <summary>Starts devices while the concurrency, the call window and the rate allow.</summary>
    private void Pump()
    {
        while (!State.Aborted && State.Next < State.Targets.Count && _inFlight < Concurrency && _asking.Count < CallConcurrency && _pacer!.TryTake())
        {
            var target = State.Targets[State.Next++];
            if (target.Outcome != RolloutOutcome.Pending || target.StartedAt is not null)
            {
                continue;
            }

            target.StartedAt = _time.GetUtcNow();
            target.Version = 0;
            _inFlight++;
            _dirty = true;
            _ = AskAsync(target);
        }
    }

    /// <summary>
    /// Asks a device for its step: applies the change when the device has not answered yet (<see cref="RolloutTarget.Version"/> 0),
    /// else checks the awaited version. A device that cannot be reached stays in flight and is asked again. The call
    /// takes one of the <see cref="CallConcurrency"/> slots; when it returns, the next device can start.
    /// </summary>
    private async Task AskAsync(RolloutTarget target, bool final = false)
    {
        if (!_asking.Add(target.DeviceId))
        {
            return;
        }

        _askedAt[target.DeviceId] = _time.GetUtcNow();

        RolloutStep step;
        try
        {
            var device = GrainFactory.GetDevice(_orgId, target.DeviceId);
            step = target.Version == 0 ? await device.ApplyRolloutAsync(Ticket) : await device.CheckRolloutAsync(Ticket, target.Version);
        }
        catch (FleetMfaException ex)
        {
            step = new RolloutStep(RolloutOutcome.Failed, target.Version, ex.Code, ex.Message);
        }
        catch (Exception ex)
        {
            LogDeviceUnreachable(_logger, _orgId, _rolloutId, target.DeviceId, ex);
            return;
        }
        finally
        {
            _asking.Remove(target.DeviceId);
            Pump();
        }

        if (final && step.Outcome == RolloutOutcome.Pending)
        {
            step = step with
            {
                Outcome = RolloutOutcome.Failed,
                Code = ErrorCodes.Timeout,
                Reason = $"The agent did not acknowledge within {Spec.AckTimeout.TotalSeconds:0} s.",
            };
        }

        await RecordAsync(target, step);
    }

    private async Task RecordAsync(RolloutTarget target, RolloutStep step)
    {
        if (!target.InFlight)
        {
            return;
        }

        _dirty = true;
        if (step.Outcome == RolloutOutcome.Pending)
        {
            target.Version = step.Version;
            return;
        }

        target.Settle(step.Outcome, step.Code, step.Reason);
        target.Version = step.Version;
        _askedAt.Remove(target.DeviceId);
        _inFlight--;
        switch (step.Outcome)
        {
            case RolloutOutcome.Succeeded: _succeeded++; break;
            case RolloutOutcome.Rejected: _rejected++; break;
            default: _failed++; break;
        }

        _metrics.RolloutDeviceFinished(step.Outcome switch
        {
            RolloutOutcome.Succeeded => "succeeded",
            RolloutOutcome.Rejected => "rejected",
            _ => "failed",
        });

        Pump();
        await AfterChangeAsync(failure: step.Outcome != RolloutOutcome.Succeeded);
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (State.Spec is null)
        {
            return;
        }

        var now = _time.GetUtcNow();
        foreach (var target in State.Targets)
        {
            if (_asking.Count >= CallConcurrency)
            {
                // The rest wait for the next tick: the window is full.
                break;
            }

            if (!target.InFlight || _asking.Contains(target.DeviceId))
            {
                continue;
            }

            var waited = now - target.StartedAt!.Value;
            if (waited >= Spec.AckTimeout)
            {
                _ = AskAsync(target, final: true);
            }
            else if ((target.Version == 0 && waited >= UnreachableRetry) ||
                (target.Version != 0 && RecheckDue(now - _askedAt.GetValueOrDefault(target.DeviceId, target.StartedAt.Value), waited)))
            {
                _ = AskAsync(target);
            }
        }

        Pump();
        await AfterChangeAsync(persist: true);
    }

    /// <summary>
    /// Whether a device waiting for its ack is asked again, <paramref name="sinceAsked"/> after the last ask and
    /// <paramref name="waited"/> after it started: first after <see cref="AckRecheck"/>, then after half its wait, so
    /// at 30, 60, 120, 240 s.
    /// </summary>
    internal static bool RecheckDue(TimeSpan sinceAsked, TimeSpan waited) =>
        sinceAsked >= AckRecheck && sinceAsked >= waited / 2;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            _dirty = false;
            await _writer.WriteAsync();
        }
    }

    /// <summary>Persists lazily, reports to the rollout now and then, and wraps up once every device has an outcome.</summary>
    private async Task AfterChangeAsync(bool persist = false, bool failure = false)
    {
        var done = Done;
        if (done && _timer is not null)
        {
            _timer.Dispose();
            _timer = null;
            LogShardFinished(_logger, _orgId, _rolloutId, _shard, _succeeded, _rejected, _failed);
        }

        if (_dirty && (done || persist))
        {
            _dirty = false;
            await _writer.WriteAsync();
        }

        var step = Math.Max(1, State.Targets.Count * ReportEveryPercent / 100);
        if ((done && !_finishedReported) || (failure && Spec.AbortThresholdPercent is not null) || Finished - _reportedFinished >= step)
        {
            await ReportAsync();
        }
    }

    /// <summary>Sends the latest counts to the rollout; one report at a time, so they arrive in order.</summary>
    private async Task ReportAsync()
    {
        if (_reporting)
        {
            _reportAgain = true;
            return;
        }

        _reporting = true;
        try
        {
            do
            {
                _reportAgain = false;
                var counts = Counts();
                var done = Done;
                await GrainFactory.GetRollout(_orgId, _rolloutId).ReportShardAsync(_shard, counts, done);
                _reportedFinished = counts.Finished;
                _finishedReported |= done;
            }
            while (_reportAgain);
        }
        catch (Exception ex)
        {
            // The rollout's reminder asks every unfinished shard for its counts; nothing is lost.
            LogReportFailed(_logger, _orgId, _rolloutId, _shard, ex);
        }
        finally
        {
            _reporting = false;
        }
    }

    private RolloutCounts Counts()
    {
        var total = State.Targets.Count;
        return new RolloutCounts(total, _succeeded, total - Finished, _rejected, _failed);
    }

    private void Index()
    {
        _byId = State.Targets.ToDictionary(t => t.DeviceId, StringComparer.Ordinal);
        _inFlight = State.Targets.Count(t => t.InFlight);
        _succeeded = State.Targets.Count(t => t.Outcome == RolloutOutcome.Succeeded);
        _rejected = State.Targets.Count(t => t.Outcome == RolloutOutcome.Rejected);
        _failed = State.Targets.Count(t => t.Outcome == RolloutOutcome.Failed);
    }
}
