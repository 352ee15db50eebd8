using System.Text.Json;
using FleetMfa.Grains;
using FleetMfa.Grains.Rollouts;

namespace FleetMfa.Tests.Rollouts;

/// <summary>
/// <see cref="RolloutShardPlan"/>'s decisions, without a cluster, table by table: starting devices within the
/// concurrency, the call window and the rate; each kind of device answer; retries, rechecks and the ack timeout; an
/// abort; a new activation; and when the rollout hears the counts. The invariants over any sequence of events are in
/// <see cref="RolloutShardPlanPropertyTests"/>.
/// </summary>
public sealed class RolloutShardPlanTests
{
    internal static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    internal static RolloutSpec Spec(int maxConcurrency = RolloutSpec.DefaultMaxConcurrency, int? ratePerMinute = null, int? abortThresholdPercent = null, TimeSpan? ackTimeout = null) =>
        new(RolloutAction.EnableMfa, false, null, maxConcurrency, ratePerMinute, abortThresholdPercent, ackTimeout ?? RolloutSpec.DefaultAckTimeout, "test");

    /// <summary>A started shard of <paramref name="devices"/> devices <c>d-000</c>, <c>d-001</c>, …; none asked yet.</summary>
    internal static RolloutShardState Shard(int devices, int maxConcurrency = RolloutSpec.DefaultMaxConcurrency, int shards = 1, int? ratePerMinute = null, int? abortThresholdPercent = null, TimeSpan? ackTimeout = null)
    {
        var state = new RolloutShardState();
        RolloutShardPlan.Start(state, Spec(maxConcurrency, ratePerMinute, abortThresholdPercent, ackTimeout), shards, Ids(devices), T0);
        return state;
    }

    internal static string[] Ids(int count) => [.. Enumerable.Range(0, count).Select(i => $"d-{i:000}")];

    internal static string Json(RolloutShardState state) => JsonSerializer.Serialize(state);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static List<string> Asked(IReadOnlyList<RolloutShardEffect>? effects) =>
        [.. (effects ?? []).Where(e => e.Kind == RolloutShardEffectKind.AskDevice).Select(e => e.DeviceId!)];

    private static RolloutShardEffect AskFor(RolloutShardState state, string deviceId) =>
        state.Outbox.Single(e => e.Kind == RolloutShardEffectKind.AskDevice && e.DeviceId == deviceId);

    private static RolloutShardEffect? Report(RolloutShardState state) =>
        state.Outbox.SingleOrDefault(e => e.Kind == RolloutShardEffectKind.ReportProgress);

    private static RolloutTarget Target(RolloutShardState state, string deviceId) => state.Targets.Single(t => t.DeviceId == deviceId);

    private static IReadOnlyList<RolloutShardEffect>? Answer(RolloutShardState state, string deviceId, RolloutOutcome outcome, long version, DateTimeOffset at) =>
        RolloutShardPlan.Answered(state, AskFor(state, deviceId), new RolloutStep(outcome, version), at);

    [Fact]
    public void Start_takes_each_device_once_in_id_order_and_asks_none_before_the_first_tick()
    {
        var state = new RolloutShardState();

        var effects = RolloutShardPlan.Start(state, Spec(), 3, ["b", "a", "b", "c"], T0);

        Assert.Empty(effects!);
        Assert.Equal(["a", "b", "c"], state.Targets.Select(t => t.DeviceId));
        Assert.Equal((0, 0, 3), (state.Next, state.InFlight, state.ParticipatingShards));
        Assert.Empty(state.Outbox);
        Assert.Equal(new RolloutCounts(3, 0, 3, 0, 0), RolloutShardPlan.Counts(state));

        var before = Json(state);
        Assert.Null(RolloutShardPlan.Start(state, Spec(maxConcurrency: 1), 1, ["z"], T0));
        Assert.Equal(before, Json(state));
    }

    [Theory]
    [InlineData(1000, 1, 20, RolloutShardPlan.CallConcurrency)] // the call window
    [InlineData(3, 1, 20, 3)] // the concurrency
    [InlineData(10, 4, 20, 3)] // the shard's share: ⌈10 / 4⌉
    [InlineData(1, 64, 20, 1)] // a share is at least one device
    [InlineData(1000, 1, 5, 5)] // fewer devices than either
    [InlineData(1000, 1, 0, 0)] // none
    public void The_first_tick_starts_devices_up_to_the_shard_s_share_of_the_concurrency_and_the_call_window(int maxConcurrency, int shards, int devices, int started)
    {
        var state = Shard(devices, maxConcurrency, shards);

        var effects = RolloutShardPlan.Tick(state, T0, T0);

        Assert.Equal(Ids(devices).Take(started), Asked(effects));
        Assert.All(effects ?? [], e => Assert.Equal((0L, false), (e.Version, e.Final)));
        Assert.Equal((started, started), (state.Next, state.InFlight));
        Assert.All(state.Targets.Take(started), t => Assert.Equal(((DateTimeOffset?)T0, (DateTimeOffset?)T0), (t.StartedAt, t.AskedAt)));
    }

    [Fact]
    public void A_device_waiting_for_its_ack_keeps_its_concurrency_slot_and_one_that_finishes_frees_it()
    {
        var state = Shard(5, maxConcurrency: 2);
        RolloutShardPlan.Tick(state, T0, T0);

        // d-000 applied the change and waits for its agent: its call is over, its slot is not.
        var applied = Answer(state, "d-000", RolloutOutcome.Pending, 7, T0);
        Assert.Empty(Asked(applied));
        Assert.Equal((7L, true, 2), (Target(state, "d-000").Version, Target(state, "d-000").InFlight, state.InFlight));

        var settled = RolloutShardPlan.Settled(state, "d-000", new RolloutStep(RolloutOutcome.Succeeded, 7), T0 + S(1));
        Assert.Equal(["d-002"], Asked(settled));
        Assert.Equal(2, state.InFlight);
    }

    [Theory]
    [InlineData(60, 1, new[] { 1, 1, 2, 3, 3 })] // one a second, no burst
    [InlineData(120, 2, new[] { 1, 1, 2, 3, 3 })] // the shard's share of the rate
    [InlineData(300, 1, new[] { 5, 7, 10, 15, 15 })] // five a second, a bucket of five
    [InlineData(1, 1, new[] { 1, 1, 1, 1, 1 })] // one a minute
    public void Devices_start_no_faster_than_the_shard_s_share_of_the_rate(int ratePerMinute, int shards, int[] startedBy)
    {
        var state = Shard(20, shards: shards, ratePerMinute: ratePerMinute);
        double[] seconds = [0, 0.5, 1, 2, 2];

        var started = new List<int>();
        foreach (var second in seconds)
        {
            var now = T0 + S(second);
            RolloutShardPlan.Tick(state, now, T0);

            // Every device answers at once, so the call window never holds a start back; only the rate does.
            while (state.Outbox.FirstOrDefault(e => e.Kind == RolloutShardEffectKind.AskDevice) is { } ask)
            {
                RolloutShardPlan.Answered(state, ask, new RolloutStep(RolloutOutcome.Succeeded, 1), now);
            }

            started.Add(state.Next);
        }

        Assert.Equal(startedBy, started);
    }

    [Theory]
    [InlineData(RolloutOutcome.Pending, 7)] // applied: the device waits for its agent's ack of version 7
    [InlineData(RolloutOutcome.Succeeded, 3)] // already in the wanted state
    [InlineData(RolloutOutcome.Rejected, 3)] // an OS rule refused it
    [InlineData(RolloutOutcome.Failed, 3)] // no agent, an unknown device, an agent error
    public void A_device_s_answer_is_recorded_and_a_final_one_frees_its_slot(RolloutOutcome outcome, long version)
    {
        var state = Shard(3, maxConcurrency: 1);
        RolloutShardPlan.Tick(state, T0, T0);

        var effects = Answer(state, "d-000", outcome, version, T0 + S(1));

        var final = outcome != RolloutOutcome.Pending;
        var target = Target(state, "d-000");
        Assert.Equal((outcome, version, !final), (target.Outcome, target.Version, target.InFlight));
        Assert.DoesNotContain(state.Outbox, e => e.DeviceId == "d-000");
        Assert.Equal(final ? ["d-001"] : Array.Empty<string>(), Asked(effects));
        Assert.Equal(
            new RolloutCounts(3, outcome == RolloutOutcome.Succeeded ? 1 : 0, final ? 2 : 3, outcome == RolloutOutcome.Rejected ? 1 : 0, outcome == RolloutOutcome.Failed ? 1 : 0),
            RolloutShardPlan.Counts(state));
    }

    [Fact]
    public void A_device_that_cannot_be_reached_stays_in_flight_and_is_asked_again_5_s_after_each_ask()
    {
        var state = Shard(1);
        RolloutShardPlan.Tick(state, T0, T0);

        Assert.Empty(RolloutShardPlan.Unreachable(state, AskFor(state, "d-000"), T0 + S(1))!);
        Assert.Empty(state.Outbox);
        Assert.True(Target(state, "d-000").InFlight);
        Assert.Null(RolloutShardPlan.Unreachable(state, RolloutShardEffect.Ask("d-000", 0), T0 + S(1)));

        Assert.Null(RolloutShardPlan.Tick(state, T0 + S(4.9), T0));
        Assert.Equal(["d-000"], Asked(RolloutShardPlan.Tick(state, T0 + S(5), T0)));
        Assert.Equal(RolloutShardEffect.Ask("d-000", 0), AskFor(state, "d-000"));

        RolloutShardPlan.Unreachable(state, AskFor(state, "d-000"), T0 + S(6));
        Assert.Null(RolloutShardPlan.Tick(state, T0 + S(9.9), T0));
        Assert.Equal(["d-000"], Asked(RolloutShardPlan.Tick(state, T0 + S(10), T0)));
    }

    [Fact]
    public void A_device_slow_to_acknowledge_is_asked_again_at_30_60_120_and_240_seconds()
    {
        var state = Shard(1, ackTimeout: TimeSpan.FromMinutes(5));
        RolloutShardPlan.Tick(state, T0, T0);
        Answer(state, "d-000", RolloutOutcome.Pending, 7, T0);

        var asks = new List<int>();
        for (var second = 1; second < 300; second++)
        {
            var now = T0 + S(second);
            if (RolloutShardPlan.Tick(state, now, T0) is { } effects)
            {
                Assert.Equal([RolloutShardEffect.Ask("d-000", 7)], effects);
                asks.Add(second);
                Answer(state, "d-000", RolloutOutcome.Pending, 7, now);
            }
        }

        Assert.Equal([30, 60, 120, 240], asks);
    }

    [Theory]
    [InlineData(RolloutOutcome.Pending, RolloutOutcome.Failed, ErrorCodes.Timeout)] // still waiting: too late
    [InlineData(RolloutOutcome.Succeeded, RolloutOutcome.Succeeded, null)] // acknowledged just in time, the ack lost
    public void Past_the_ack_timeout_the_device_is_asked_a_last_time_and_still_pending_fails_with_timeout(RolloutOutcome answer, RolloutOutcome outcome, string? code)
    {
        var state = Shard(1, ackTimeout: TimeSpan.FromMinutes(2));
        RolloutShardPlan.Tick(state, T0, T0);
        Answer(state, "d-000", RolloutOutcome.Pending, 7, T0);

        Assert.Equal([RolloutShardEffect.Ask("d-000", 7, final: true)], RolloutShardPlan.Tick(state, T0 + TimeSpan.FromMinutes(2), T0));
        Answer(state, "d-000", answer, 7, T0 + TimeSpan.FromMinutes(2));

        Assert.Equal((outcome, code), (Target(state, "d-000").Outcome, Target(state, "d-000").Code));
        Assert.Equal(0, state.InFlight);
    }

    [Theory]
    [InlineData("d-000", RolloutOutcome.Succeeded, 7, RolloutOutcome.Succeeded)] // the agent acknowledged the version awaited
    [InlineData("d-000", RolloutOutcome.Failed, 7, RolloutOutcome.Failed)] // the agent failed it
    [InlineData("d-000", RolloutOutcome.Succeeded, 8, RolloutOutcome.Succeeded)] // a later version settles it too
    [InlineData("d-000", RolloutOutcome.Succeeded, 6, null)] // an older version does not
    [InlineData("d-000", RolloutOutcome.Pending, 7, null)] // nothing settled
    [InlineData("d-001", RolloutOutcome.Succeeded, 7, null)] // not started (the concurrency is 1)
    [InlineData("nobody", RolloutOutcome.Succeeded, 7, null)] // not in this shard
    public void A_device_settling_the_version_awaited_finishes_it_and_nothing_else_does(string deviceId, RolloutOutcome outcome, long version, RolloutOutcome? settled)
    {
        var state = Shard(2, maxConcurrency: 1);
        RolloutShardPlan.Tick(state, T0, T0);
        Answer(state, "d-000", RolloutOutcome.Pending, 7, T0);
        var before = Json(state);

        var effects = RolloutShardPlan.Settled(state, deviceId, new RolloutStep(outcome, version), T0 + S(1));

        if (settled is null)
        {
            Assert.Null(effects);
            Assert.Equal(before, Json(state));
            return;
        }

        Assert.Equal((settled.Value, version), (Target(state, deviceId).Outcome, Target(state, deviceId).Version));
        Assert.Equal(["d-001"], Asked(effects));
        Assert.Null(RolloutShardPlan.Settled(state, deviceId, new RolloutStep(RolloutOutcome.Failed, version), T0 + S(2)));
        Assert.Equal(settled.Value, Target(state, deviceId).Outcome);
    }

    [Fact]
    public void An_abort_fails_the_devices_not_started_and_lets_those_in_flight_finish()
    {
        var state = Shard(5, maxConcurrency: 2);
        RolloutShardPlan.Tick(state, T0, T0);
        Answer(state, "d-000", RolloutOutcome.Pending, 7, T0);

        RolloutShardPlan.Abort(state);

        Assert.True(state.Aborted);
        Assert.All(state.Targets.Skip(2), t => Assert.Equal((RolloutOutcome.Failed, ErrorCodes.Aborted), (t.Outcome, t.Code)));
        Assert.Equal(new RolloutCounts(5, 0, 2, 0, 3), RolloutShardPlan.Counts(state));
        Assert.Equal(new RolloutCounts(5, 0, 2, 0, 3), Report(state)!.Counts);
        Assert.Null(RolloutShardPlan.Abort(state));

        Assert.Empty(Asked(RolloutShardPlan.Settled(state, "d-000", new RolloutStep(RolloutOutcome.Succeeded, 7), T0 + S(1))));
        Answer(state, "d-001", RolloutOutcome.Succeeded, 2, T0 + S(1));
        Assert.True(RolloutShardPlan.IsDone(state));
        Assert.Equal((new RolloutCounts(5, 2, 0, 0, 3), true), (Report(state)!.Counts, Report(state)!.Finished));
        Assert.Null(RolloutShardPlan.Abort(new RolloutShardState()));
    }

    [Fact]
    public void A_new_activation_asks_again_every_device_an_earlier_one_asked_and_leaves_asks_still_in_the_outbox_to_the_outbox()
    {
        var state = Shard(3, maxConcurrency: 3);
        RolloutShardPlan.Tick(state, T0, T0);
        Answer(state, "d-000", RolloutOutcome.Pending, 7, T0);
        Answer(state, "d-001", RolloutOutcome.Pending, 4, T0);

        // d-002's apply is still in the stored outbox: the new activation carries it out; the others may have settled unseen.
        var activated = T0 + S(10);
        var effects = RolloutShardPlan.Tick(state, activated, activated);

        Assert.Equal([RolloutShardEffect.Ask("d-000", 7), RolloutShardEffect.Ask("d-001", 4)], effects);
        Answer(state, "d-000", RolloutOutcome.Pending, 7, activated);
        Answer(state, "d-001", RolloutOutcome.Pending, 4, activated);
        Assert.Null(RolloutShardPlan.Tick(state, activated + S(1), activated));
    }

    [Fact]
    public void The_rollout_hears_the_counts_every_5_percent_and_once_every_device_finished()
    {
        var state = Shard(40, maxConcurrency: 40); // 5 % of 40: every 2 devices
        var reports = new List<(int Finished, bool Done)>();
        var now = T0;
        while (!RolloutShardPlan.IsDone(state))
        {
            now += S(1);
            RolloutShardPlan.Tick(state, now, T0);
            foreach (var ask in state.Outbox.Where(e => e.Kind == RolloutShardEffectKind.AskDevice).ToList())
            {
                RolloutShardPlan.Answered(state, ask, new RolloutStep(RolloutOutcome.Succeeded, 1), now);
                if (Report(state) is { } report)
                {
                    reports.Add((report.Counts!.Finished, report.Finished));
                    Assert.Equal([], RolloutShardPlan.Reported(state, report));
                }
            }
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (2 * i, i == 20)), reports);
        Assert.False(RolloutShardPlan.HasWork(state));
        Assert.Null(RolloutShardPlan.Tick(state, now + S(1), T0));
    }

    [Theory]
    [InlineData(50, 1)] // with an abort threshold the rollout judges every failure
    [InlineData(null, 0)]
    public void A_failure_is_reported_at_once_when_the_rollout_has_an_abort_threshold(int? abortThresholdPercent, int reports)
    {
        var state = Shard(100, abortThresholdPercent: abortThresholdPercent);
        RolloutShardPlan.Tick(state, T0, T0);

        Answer(state, "d-000", RolloutOutcome.Rejected, 0, T0);

        Assert.Equal(reports, state.Outbox.Count(e => e.Kind == RolloutShardEffectKind.ReportProgress));
    }

    [Fact]
    public void A_newer_report_replaces_one_not_sent_yet_and_a_report_taken_leaves_the_outbox()
    {
        var state = Shard(2, maxConcurrency: 2);
        RolloutShardPlan.Tick(state, T0, T0);
        Answer(state, "d-000", RolloutOutcome.Succeeded, 1, T0);
        var first = Report(state)!;

        Answer(state, "d-001", RolloutOutcome.Failed, 1, T0);

        var last = Report(state)!;
        Assert.Equal((new RolloutCounts(2, 1, 0, 0, 1), true), (last.Counts, last.Finished));
        Assert.Null(RolloutShardPlan.Reported(state, first));
        Assert.True(RolloutShardPlan.HasWork(state));
        Assert.Equal([], RolloutShardPlan.Reported(state, last));
        Assert.Empty(state.Outbox);
        Assert.False(RolloutShardPlan.HasWork(state));
    }

    [Fact]
    public void A_shard_not_started_has_nothing_to_decide()
    {
        var state = new RolloutShardState();

        Assert.False(RolloutShardPlan.HasWork(state));
        Assert.Null(RolloutShardPlan.Tick(state, T0, T0));
        Assert.Null(RolloutShardPlan.Settled(state, "d-000", new RolloutStep(RolloutOutcome.Succeeded, 1), T0));
        Assert.Equal(RolloutCounts.Empty, RolloutShardPlan.Counts(state));
    }

    [Fact]
    public void Recheck_is_due_after_30_s_then_after_half_the_time_waited()
    {
        var asks = new List<int>();
        var lastAsk = 0;
        for (var second = 1; second <= 300; second++)
        {
            if (RolloutShardPlan.RecheckDue(S(second - lastAsk), S(second)))
            {
                asks.Add(second);
                lastAsk = second;
            }
        }

        Assert.Equal([30, 60, 120, 240], asks);
    }
}
