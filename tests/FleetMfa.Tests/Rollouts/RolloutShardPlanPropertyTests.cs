using FleetMfa.Grains;
using FleetMfa.Grains.Rollouts;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace FleetMfa.Tests.Rollouts;

/// <summary>
/// Invariants of <see cref="RolloutShardPlan"/> over random shards and random sequences of events (FsCheck): ticks
/// at random times, device answers of every kind (and stale ones), unreachable devices, settlements of any version,
/// aborts, reports taken, new activations. Whatever happens, no more devices are in flight than the shard's
/// concurrency and no more calls than the call window, no device is asked twice at once or once it has an outcome, an
/// outcome never changes, the counts add up to the devices, a decision that stores nothing changed nothing, the
/// finish is reported — and once the devices answer, every device ends with an outcome.
/// </summary>
public sealed class RolloutShardPlanPropertyTests
{
    /// <summary>A shard drawn at random; <see cref="Rate"/> 0: no rate limit.</summary>
    public sealed record Setup(int Devices, int MaxConcurrency, int Shards, int Rate, bool AbortThreshold, int AckSeconds);

    /// <summary>One event, drawn at random: <see cref="Kind"/> picks it, the rest its arguments.</summary>
    public sealed record Move(int Kind, int A, int B, bool Flag);

    public static class Generators
    {
        public static Arbitrary<Setup> Setup() =>
            (from devices in Gen.Choose(0, 25)
             from concurrency in Gen.Choose(1, 12)
             from shards in Gen.Choose(1, 3)
             from rate in Gen.Elements(0, 0, 30, 120, 600)
             from abort in Gen.Elements(true, false)
             from ack in Gen.Choose(40, 200)
             select new Setup(devices, concurrency, shards, rate, abort, ack)).ToArbitrary();

        public static Arbitrary<Move[]> Moves() =>
            (from kind in Gen.Choose(0, 7)
             from a in Gen.Choose(0, 30)
             from b in Gen.Choose(0, 40)
             from flag in Gen.Elements(true, false)
             select new Move(kind, a, b, flag)).ArrayOf().ToArbitrary();
    }

    [Property(Arbitrary = [typeof(Generators)], MaxTest = 300)]
    public void Any_sequence_of_events_keeps_the_shard_s_invariants_and_ends_with_every_device_finished(Setup setup, Move[] moves)
    {
        var state = RolloutShardPlanTests.Shard(
            setup.Devices, setup.MaxConcurrency, setup.Shards, setup.Rate == 0 ? null : setup.Rate, setup.AbortThreshold ? 50 : null, TimeSpan.FromSeconds(setup.AckSeconds));
        var share = Math.Max(1, (int)Math.Ceiling(setup.MaxConcurrency / (double)setup.Shards));
        var (now, activatedAt) = (RolloutShardPlanTests.T0, RolloutShardPlanTests.T0);
        foreach (var move in moves)
        {
            now += TimeSpan.FromSeconds(move.Kind == 0 ? move.B : 0);
            activatedAt = move.Kind == 6 ? now : activatedAt;
            Step(state, move, now, activatedAt, share);
        }

        // From here on every device answers at once: the shard finishes, and the rollout hears it.
        for (var round = 0; round < 1_000 && RolloutShardPlan.HasWork(state); round++)
        {
            now += TimeSpan.FromSeconds(10);
            Step(state, new Move(0, 0, 0, false), now, activatedAt, share);
            while (state.Outbox.FirstOrDefault() is { } effect)
            {
                var answer = effect.Kind == RolloutShardEffectKind.AskDevice ? new Move(1, 0, 1, false) : new Move(5, 0, 0, false);
                Step(state, answer, now, activatedAt, share);
            }
        }

        Assert.False(RolloutShardPlan.HasWork(state), "the shard never finished");
        Assert.Equal((setup.Devices, 0), (RolloutShardPlan.Counts(state).Total, RolloutShardPlan.Counts(state).Pending));
    }

    /// <summary>Makes the decision <paramref name="move"/> stands for and checks every invariant against the state before it.</summary>
    private static void Step(RolloutShardState state, Move move, DateTimeOffset now, DateTimeOffset activatedAt, int share)
    {
        var before = RolloutShardPlanTests.Json(state);
        var outcomes = state.Targets.Select(t => t.Outcome).ToArray();
        var wasDone = RolloutShardPlan.IsDone(state);

        var effects = Decide(state, move, now, activatedAt);

        Assert.True(effects is not null || RolloutShardPlanTests.Json(state) == before, $"{move}: nothing to store, yet the state changed");
        var asks = state.Outbox.Where(e => e.Kind == RolloutShardEffectKind.AskDevice).ToList();
        Assert.True(asks.Count <= RolloutShardPlan.CallConcurrency, $"{move}: {asks.Count} calls at once");
        Assert.True(asks.Select(e => e.DeviceId).Distinct().Count() == asks.Count, $"{move}: a device asked twice at once");
        Assert.True(state.Outbox.Count(e => e.Kind == RolloutShardEffectKind.ReportProgress) <= 1, $"{move}: two reports waiting");

        var inFlight = state.Targets.Count(t => t.InFlight);
        Assert.True(inFlight == state.InFlight && inFlight <= share, $"{move}: {inFlight} in flight (counted {state.InFlight}), the share is {share}");
        foreach (var ask in (effects ?? []).Where(e => e.Kind == RolloutShardEffectKind.AskDevice))
        {
            Assert.True(state.Targets.Single(t => t.DeviceId == ask.DeviceId).InFlight, $"{move}: asked {ask.DeviceId}, which is not in flight");
        }

        for (var i = 0; i < outcomes.Length; i++)
        {
            Assert.True(outcomes[i] == RolloutOutcome.Pending || state.Targets[i].Outcome == outcomes[i], $"{move}: the outcome of {state.Targets[i].DeviceId} changed");
            Assert.True(i < state.Next || (state.Targets[i].StartedAt is null && state.Targets[i].Outcome == RolloutOutcome.Pending), $"{move}: {state.Targets[i].DeviceId} started out of order");
        }

        var counts = RolloutShardPlan.Counts(state);
        Assert.Equal(
            (state.Targets.Count, state.Targets.Count(t => t.Outcome == RolloutOutcome.Succeeded), state.Targets.Count(t => t.Outcome == RolloutOutcome.Pending),
                state.Targets.Count(t => t.Outcome == RolloutOutcome.Rejected), state.Targets.Count(t => t.Outcome == RolloutOutcome.Failed)),
            (counts.Total, counts.Succeeded, counts.Pending, counts.Rejected, counts.Failed));

        if (!wasDone && RolloutShardPlan.IsDone(state))
        {
            var report = state.Outbox.SingleOrDefault(e => e.Kind == RolloutShardEffectKind.ReportProgress);
            Assert.True(report is { Finished: true } && report.Counts == counts, $"{move}: the shard finished and the rollout is not told");
        }
    }

    private static IReadOnlyList<RolloutShardEffect>? Decide(RolloutShardState state, Move move, DateTimeOffset now, DateTimeOffset activatedAt)
    {
        var asks = state.Outbox.Where(e => e.Kind == RolloutShardEffectKind.AskDevice).ToList();
        var target = state.Targets.Count == 0 ? null : state.Targets[move.A % state.Targets.Count];
        switch (move.Kind)
        {
            case 0:
            case 6:
                return RolloutShardPlan.Tick(state, now, activatedAt);
            case 1 when asks.Count > 0:
                var ask = asks[move.A % asks.Count];
                return RolloutShardPlan.Answered(state, ask, Step(move.B, ask.Version), now);
            case 2 when asks.Count > 0:
                return RolloutShardPlan.Unreachable(state, asks[move.A % asks.Count], now);
            case 3 when target is not null:
                var version = Math.Max(0, target.Version - (move.Flag ? 1 : 0));
                return RolloutShardPlan.Settled(state, target.DeviceId, new RolloutStep(Outcome(move.B), version), now);
            case 4:
                return RolloutShardPlan.Abort(state);
            case 5 when state.Outbox.FirstOrDefault(e => e.Kind == RolloutShardEffectKind.ReportProgress) is { } report:
                return RolloutShardPlan.Reported(state, report);
            case 7 when target is not null:
                // A stale answer: the ask is not (or no longer) in the outbox.
                return RolloutShardPlan.Answered(state, RolloutShardEffect.Ask(target.DeviceId, target.Version, move.Flag), Step(move.B, target.Version), now);
            default:
                return RolloutShardPlan.Tick(state, now, activatedAt);
        }
    }

    /// <summary>A device's answer: applied (a version to wait for), or one of the outcomes.</summary>
    private static RolloutStep Step(int b, long asked) => b % 5 == 0
        ? new RolloutStep(RolloutOutcome.Pending, asked == 0 ? 1 + b : asked)
        : new RolloutStep(Outcome(b), Math.Max(asked, 1));

    private static RolloutOutcome Outcome(int b) => (b % 4) switch
    {
        0 => RolloutOutcome.Pending,
        1 => RolloutOutcome.Succeeded,
        2 => RolloutOutcome.Rejected,
        _ => RolloutOutcome.Failed,
    };
}
