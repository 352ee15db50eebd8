using FleetMfa.Grains.Internal;

namespace FleetMfa.Grains.Rollouts;

/// <summary>
/// A rollout shard's decisions, free of Orleans. Each takes the shard's state (the copy the grain stores before it
/// carries anything out), what happened — the rollout started, ticked or aborted the shard, a device answered an ask,
/// could not be reached or settled, the rollout took a report — and the time; it changes the state and returns the
/// effects it added to the state's outbox, <c>null</c> when nothing changed. Nothing here waits, calls a grain or writes.
/// <para>
/// The rules. Devices start in id order while the shard's share of the rollout's concurrency, the call window
/// (<see cref="CallConcurrency"/>) and the start rate (<see cref="RolloutPacer"/>) allow. A device is asked at most once
/// at a time: to apply the change when it starts, again <see cref="UnreachableRetry"/> after each ask while it has not answered,
/// again when it is slow to acknowledge (<see cref="RecheckDue"/>: at 30, 60, 120, 240 s), once more after the ack
/// timeout — whose "pending" fails it with <c>timeout</c> — and at once when an earlier activation asked it last (its
/// settling may have been lost with that activation). An outcome is final. An abort starts no further device and fails
/// those not started. The rollout hears the counts every <see cref="ReportEveryPercent"/> % of the shard's devices, on
/// every failure when it has an abort threshold, and once every device has an outcome.
/// </para>
/// </summary>
public static class RolloutShardPlan
{
    /// <summary>
    /// How many device calls (apply or check) a shard has in flight at once, whatever the rollout's concurrency. Each
    /// is a storage write; with all 10,000 of a rollout's devices called at once (deploy/bench.sh fanout) the writes
    /// queued past Orleans' 30 s response timeout, every timed-out device was asked again, and the agents' acks
    /// waited behind the retries: 911 of 10,000 applied in three minutes. 64 shards × 8 keep about 500 writes queued.
    /// </summary>
    public const int CallConcurrency = 8;

    /// <summary>Report counts to the rollout after this share of the shard's devices finished (and on every failure).</summary>
    public const int ReportEveryPercent = 5;

    /// <summary>How long after an ask a device that has not answered (it could not be reached) is asked again.</summary>
    public static readonly TimeSpan UnreachableRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When a device still waiting for its agent's ack is first asked again. The ack may have been lost with a silo (a
    /// report in a dead silo's MQTT bridge, or routed to a device activation on it); asked again, the device publishes
    /// its desired state once more and the agent answers again, well before the ack timeout. Later asks back off (each
    /// waits half the time the device has been waiting): an ack that is only late, queued behind a burst, must not
    /// bring a publish and another report every 30 s.
    /// </summary>
    public static readonly TimeSpan AckRecheck = TimeSpan.FromSeconds(30);

    /// <summary>Takes the shard's devices (duplicates dropped, in id order); none starts before the first <see cref="Tick"/>.</summary>
    public static IReadOnlyList<RolloutShardEffect>? Start(RolloutShardState state, RolloutSpec spec, int participatingShards, IEnumerable<string> deviceIds, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(deviceIds);
        if (state.Spec is not null)
        {
            return null;
        }

        state.Spec = spec;
        state.ParticipatingShards = Math.Clamp(participatingShards, 1, GrainKeys.DeviceIndexShards);
        state.Targets = [.. deviceIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(id => new RolloutTarget { DeviceId = id })];
        state.Pacer = RolloutPacer.Start(spec.RatePerMinute / (double)state.ParticipatingShards, now);
        return [];
    }

    /// <summary>
    /// The clock: devices in flight that are due are asked again (or a last time, past the ack timeout), devices start as
    /// the limits allow, counts due go to the rollout. <paramref name="activatedAt"/>: when the grain's activation began.
    /// </summary>
    public static IReadOnlyList<RolloutShardEffect>? Tick(RolloutShardState state, DateTimeOffset now, DateTimeOffset activatedAt)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Spec is not { } spec)
        {
            return null;
        }

        var effects = new List<RolloutShardEffect>();
        for (var i = 0; i < state.Next && Asking(state) < CallConcurrency; i++)
        {
            var target = state.Targets[i];
            if (!target.InFlight || IsAsking(state, target.DeviceId))
            {
                continue;
            }

            var waited = now - target.StartedAt!.Value;
            if (waited >= spec.AckTimeout)
            {
                Ask(state, target, now, final: true, effects);
            }
            else if (target.AskedAt is not { } asked || (target.Version == 0 ? now - asked >= UnreachableRetry
                : asked < activatedAt || RecheckDue(now - asked, waited)))
            {
                Ask(state, target, now, final: false, effects);
            }
        }

        Pump(state, now, effects);
        ReportIfDue(state, failure: false, effects);
        return effects.Count > 0 ? effects : null;
    }

    /// <summary>A device's answer to <paramref name="ask"/>: its version to wait for, or its outcome.</summary>
    public static IReadOnlyList<RolloutShardEffect>? Answered(RolloutShardState state, RolloutShardEffect ask, RolloutStep step, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(ask);
        ArgumentNullException.ThrowIfNull(step);
        var changed = state.Outbox.Remove(ask);
        if (ask.Final && step.Outcome == RolloutOutcome.Pending && state.Spec is { } spec)
        {
            step = step with
            {
                Outcome = RolloutOutcome.Failed,
                Code = ErrorCodes.Timeout,
                Reason = $"The agent did not acknowledge within {spec.AckTimeout.TotalSeconds:0} s.",
            };
        }

        var effects = new List<RolloutShardEffect>();
        changed |= Find(state, ask.DeviceId!) is { InFlight: true } target && Record(state, target, step, effects);
        return changed ? AfterSlotFreed(state, now, effects) : null;
    }

    /// <summary>A device that could not be asked stays in flight; <see cref="Tick"/> asks it again when it is due.</summary>
    public static IReadOnlyList<RolloutShardEffect>? Unreachable(RolloutShardState state, RolloutShardEffect ask, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Outbox.Remove(ask) ? AfterSlotFreed(state, now, []) : null;
    }

    /// <summary>A device tells how the version it was asked for settled (the agent acknowledged or failed it).</summary>
    public static IReadOnlyList<RolloutShardEffect>? Settled(RolloutShardState state, string deviceId, RolloutStep step, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(step);
        var effects = new List<RolloutShardEffect>();
        return step.Outcome != RolloutOutcome.Pending && Find(state, deviceId) is { InFlight: true } target && step.Version >= target.Version &&
            Record(state, target, step, effects)
            ? AfterSlotFreed(state, now, effects)
            : null;
    }

    /// <summary>Starts no further device; those not started fail with <c>aborted</c>. Devices in flight still finish.</summary>
    public static IReadOnlyList<RolloutShardEffect>? Abort(RolloutShardState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Spec is null || state.Aborted)
        {
            return null;
        }

        state.Aborted = true;
        for (; state.Next < state.Targets.Count; state.Next++)
        {
            state.Targets[state.Next].Settle(RolloutOutcome.Failed, ErrorCodes.Aborted, "The rollout was aborted before this device was started.");
            state.Failed++;
        }

        var effects = new List<RolloutShardEffect>();
        ReportIfDue(state, failure: false, effects);
        return effects;
    }

    /// <summary>The rollout took <paramref name="report"/>.</summary>
    public static IReadOnlyList<RolloutShardEffect>? Reported(RolloutShardState state, RolloutShardEffect report)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Outbox.Remove(report) ? [] : null;
    }

    public static RolloutCounts Counts(RolloutShardState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var total = state.Targets.Count;
        return new RolloutCounts(total, state.Succeeded, total - Finished(state), state.Rejected, state.Failed);
    }

    /// <summary>Every device has an outcome.</summary>
    public static bool IsDone(RolloutShardState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Spec is not null && Finished(state) == state.Targets.Count;
    }

    /// <summary>Started, and a device without an outcome or an effect not carried out yet: the shard's clock must run.</summary>
    public static bool HasWork(RolloutShardState state) => IsDone(state) ? state.Outbox.Count > 0 : state.Spec is not null;

    /// <summary>
    /// Whether a device waiting for its ack is asked again, <paramref name="sinceAsked"/> after the last ask and
    /// <paramref name="waited"/> after it started: first after <see cref="AckRecheck"/>, then after half its wait, so
    /// at 30, 60, 120, 240 s.
    /// </summary>
    public static bool RecheckDue(TimeSpan sinceAsked, TimeSpan waited) =>
        sinceAsked >= AckRecheck && sinceAsked >= waited / 2;

    private static int Finished(RolloutShardState state) => state.Succeeded + state.Rejected + state.Failed;

    /// <summary>The shard's share of the rollout's concurrency (at least one device).</summary>
    private static int Concurrency(RolloutShardState state) =>
        Math.Max(1, (int)Math.Ceiling(state.Spec!.MaxConcurrency / (double)state.ParticipatingShards));

    private static int Asking(RolloutShardState state) => state.Outbox.Count(e => e.Kind == RolloutShardEffectKind.AskDevice);

    private static bool IsAsking(RolloutShardState state, string deviceId) =>
        state.Outbox.Exists(e => e.Kind == RolloutShardEffectKind.AskDevice && e.DeviceId == deviceId);

    private static RolloutTarget? Find(RolloutShardState state, string deviceId)
    {
        var i = OrdinalSearch.UpperBound(state.Targets, t => t.DeviceId, deviceId) - 1;
        return i >= 0 && state.Targets[i].DeviceId == deviceId ? state.Targets[i] : null;
    }

    /// <summary>An ask finished or a device settled: the next devices may start, and counts may be due.</summary>
    private static List<RolloutShardEffect> AfterSlotFreed(RolloutShardState state, DateTimeOffset now, List<RolloutShardEffect> effects)
    {
        Pump(state, now, effects);
        return effects;
    }

    /// <summary>Starts devices while the concurrency, the call window and the rate allow.</summary>
    private static void Pump(RolloutShardState state, DateTimeOffset now, List<RolloutShardEffect> effects)
    {
        while (!state.Aborted && state.Next < state.Targets.Count && state.InFlight < Concurrency(state) && Asking(state) < CallConcurrency &&
            state.Pacer!.Take(now) is { } paced)
        {
            state.Pacer = paced;
            var target = state.Targets[state.Next++];
            target.StartedAt = now;
            target.Version = 0;
            state.InFlight++;
            Ask(state, target, now, final: false, effects);
        }
    }

    private static void Ask(RolloutShardState state, RolloutTarget target, DateTimeOffset now, bool final, List<RolloutShardEffect> effects)
    {
        var ask = RolloutShardEffect.Ask(target.DeviceId, target.Version, final);
        target.AskedAt = now;
        state.Outbox.Add(ask);
        effects.Add(ask);
    }

    /// <summary>Takes a device's step: the version to wait for, or its outcome (and the counts, when they are due). True when anything changed.</summary>
    private static bool Record(RolloutShardState state, RolloutTarget target, RolloutStep step, List<RolloutShardEffect> effects)
    {
        if (step.Outcome == RolloutOutcome.Pending)
        {
            var moved = target.Version != step.Version;
            target.Version = step.Version;
            return moved;
        }

        target.Settle(step.Outcome, step.Code, step.Reason);
        target.Version = step.Version;
        state.InFlight--;
        switch (step.Outcome)
        {
            case RolloutOutcome.Succeeded: state.Succeeded++; break;
            case RolloutOutcome.Rejected: state.Rejected++; break;
            default: state.Failed++; break;
        }

        ReportIfDue(state, failure: step.Outcome != RolloutOutcome.Succeeded, effects);
        return true;
    }

    /// <summary>Queues the counts for the rollout when they are due; a newer report replaces one not sent yet.</summary>
    private static void ReportIfDue(RolloutShardState state, bool failure, List<RolloutShardEffect> effects)
    {
        var finished = Finished(state);
        var every = Math.Max(1, state.Targets.Count * ReportEveryPercent / 100);
        var done = IsDone(state);
        if (!(done && state.ReportedFinished < finished) && !(failure && state.Spec!.AbortThresholdPercent is not null) &&
            finished - state.ReportedFinished < every)
        {
            return;
        }

        state.ReportedFinished = finished;
        state.Outbox.RemoveAll(e => e.Kind == RolloutShardEffectKind.ReportProgress);
        var report = RolloutShardEffect.Report(Counts(state), done);
        state.Outbox.Add(report);
        effects.Add(report);
    }
}
