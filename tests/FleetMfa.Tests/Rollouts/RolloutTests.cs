using FleetMfa.Grains;
using FleetMfa.Tests.Infrastructure;

namespace FleetMfa.Tests.Rollouts;

/// <summary>Bulk Enable / Disable MFA: per-device outcomes, bounded concurrency, abort threshold, filters.</summary>
[Collection(ClusterCollection.Name)]
public class RolloutTests(ClusterFixture fixture)
{
    private static readonly TimeSpan RolloutShardGrainTick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RolloutShardGrainAckRecheck = TimeSpan.FromSeconds(30);

    private readonly IGrainFactory _grains = fixture.Grains;

    private static RolloutSpec Enable(int maxConcurrency = RolloutSpec.DefaultMaxConcurrency, int? abortThresholdPercent = null, DeviceOs? os = null) =>
        new(RolloutAction.EnableMfa, false, os, maxConcurrency, null, abortThresholdPercent, RolloutSpec.DefaultAckTimeout, "test");

    private static async Task<RolloutSummary> WaitUntilFinishedAsync(IRolloutGrain rollout) =>
        await Poll.UntilAsync(async () => (await rollout.GetAsync())!, s => s.FinishedAt is not null, "the rollout finished");

    /// <summary>Device ids that all fall into one index shard, in the order its rollout shard starts them (ordinal).</summary>
    private static List<string> SameShardIds(int count, string prefix = "host") =>
        [.. Enumerable.Range(0, 10_000).Select(i => $"{prefix}-{i}").Where(id => GrainKeys.DeviceShard(id) == 7).Take(count).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task An_enable_rollout_succeeds_on_every_device_once_its_agent_acknowledges()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var ids = Enumerable.Range(0, 30).Select(i => $"host-{i}").ToList();
        await Task.WhenAll(ids.Select(id => _grains.EnrollAgentAsync(orgId, id)));
        Assert.True(ids.Select(GrainKeys.DeviceShard).Distinct().Count() > 10, "the devices should span many shards");
        var rollout = _grains.GetRollout(orgId, "r-1");

        var started = await rollout.StartAsync(Enable(), ids);

        Assert.Equal(RolloutStatus.Running, started.Status);
        Assert.Equal(new RolloutCounts(30, 0, 30, 0, 0), started.Counts);
        var pendingDevices = await Task.WhenAll(ids.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(pendingDevices, d => Assert.Equal(MfaStatus.Pending, d!.Mfa.Status));

        await Task.WhenAll(ids.Select(id => _grains.AckAsync(orgId, id)));
        var finished = await WaitUntilFinishedAsync(rollout);

        Assert.Equal(RolloutStatus.Completed, finished.Status);
        Assert.Equal(new RolloutCounts(30, 30, 0, 0, 0), finished.Counts);
        var devices = await Task.WhenAll(ids.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(devices, d => Assert.Equal(MfaStatus.Enabled, d!.Mfa.Status));
        var outcomes = await rollout.GetOutcomesAsync(new RolloutOutcomeQuery(null, null, 100));
        Assert.Equal(ids.Order(StringComparer.Ordinal), outcomes.Items.Select(o => o.DeviceId).Order(StringComparer.Ordinal));
        Assert.All(outcomes.Items, o => Assert.Equal(RolloutOutcome.Succeeded, o.Outcome));
        Assert.Null(outcomes.NextCursor);
        Assert.Equal(["r-1"], await _grains.GetOrg(orgId).GetRolloutIdsAsync());
    }

    [Fact]
    public async Task A_rollout_stores_a_device_once_for_the_switch_and_once_for_the_ack()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.EnrollAgentAsync(orgId, "host-w");
        var device = _grains.GetDevice(orgId, "host-w").GetGrainId();
        var writes = WriteCountingGrainStorage.WritesOf(device);
        var rollout = _grains.GetRollout(orgId, "r-writes");

        // The rollout starts its devices after it answers: wait for the switch's write, then ack; a watch stored on its
        // own would be a third write in the same turn of the device grain, before the ack.
        await rollout.StartAsync(Enable(), ["host-w"]);
        await Poll.UntilAsync(() => Task.FromResult(WriteCountingGrainStorage.WritesOf(device)), n => n > writes, "the device was switched");
        await _grains.AckAsync(orgId, "host-w");

        Assert.Equal(new RolloutCounts(1, 1, 0, 0, 0), (await WaitUntilFinishedAsync(rollout)).Counts);
        Assert.Equal(writes + 2, WriteCountingGrainStorage.WritesOf(device));
    }

    [Fact]
    public async Task Each_device_gets_its_own_outcome_rule_refusals_agent_errors_missing_agents_and_unknown_ids()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.EnrollAgentAsync(orgId, "ok");
        await _grains.EnrollAgentAsync(orgId, "conflict");
        await _grains.GetDevice(orgId, "conflict").UpdateSettingsAsync(new DeviceSettingsPatch(true, true, null, null));
        await _grains.EnrollAgentAsync(orgId, "broken");
        await _grains.RegisterLinuxAsync(orgId, "no-agent");
        var rollout = _grains.GetRollout(orgId, "r-mixed");

        await rollout.StartAsync(Enable(), ["ok", "conflict", "broken", "no-agent", "ghost"]);
        await Poll.UntilAsync(async () => (await rollout.GetAsync())!.Counts, c => c == new RolloutCounts(5, 0, 2, 1, 2), "three devices answered at once");
        await _grains.AckAsync(orgId, "ok");
        await _grains.FailAsync(orgId, "broken", "sshd_config is not writable");
        var finished = await WaitUntilFinishedAsync(rollout);

        Assert.Equal(new RolloutCounts(5, 1, 0, 1, 3), finished.Counts);
        var outcomes = (await rollout.GetOutcomesAsync(new RolloutOutcomeQuery(null, null, 100))).Items.ToDictionary(o => o.DeviceId);
        Assert.Equal((RolloutOutcome.Succeeded, null), (outcomes["ok"].Outcome, outcomes["ok"].Code));
        Assert.Equal((RolloutOutcome.Rejected, ErrorCodes.LinuxSshConflict), (outcomes["conflict"].Outcome, outcomes["conflict"].Code));
        Assert.Equal((RolloutOutcome.Failed, ErrorCodes.AgentError, "sshd_config is not writable"), (outcomes["broken"].Outcome, outcomes["broken"].Code, outcomes["broken"].Reason));
        Assert.Equal((RolloutOutcome.Failed, ErrorCodes.NoAgent), (outcomes["no-agent"].Outcome, outcomes["no-agent"].Code));
        Assert.Equal((RolloutOutcome.Failed, ErrorCodes.NotFound), (outcomes["ghost"].Outcome, outcomes["ghost"].Code));

        // A refused device is left exactly as it was.
        var conflict = await _grains.GetDevice(orgId, "conflict").GetAsync();
        Assert.False(conflict!.Mfa.Desired);

        var failedOnly = await rollout.GetOutcomesAsync(new RolloutOutcomeQuery(RolloutOutcome.Failed, null, 100));
        Assert.Equal(["broken", "ghost", "no-agent"], failedOnly.Items.Select(o => o.DeviceId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task No_more_devices_than_the_concurrency_bound_wait_for_an_ack_at_once()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var ids = SameShardIds(5);
        await Task.WhenAll(ids.Select(id => _grains.EnrollAgentAsync(orgId, id)));
        var rollout = _grains.GetRollout(orgId, "r-bounded");

        await rollout.StartAsync(Enable(maxConcurrency: 2), ids);

        await Poll.UntilAsync(() => DesiredAsync(orgId, ids), d => d.Count >= 2, "two devices started");
        Assert.Equal(ids.Take(2), await DesiredAsync(orgId, ids));
        await _grains.AckAsync(orgId, ids[0]);
        await Poll.UntilAsync(() => DesiredAsync(orgId, ids), d => d.Count == 3, "a third device started");
        Assert.Equal(ids.Take(3), await DesiredAsync(orgId, ids));

        foreach (var id in ids.Skip(1))
        {
            await Poll.UntilAsync(() => DesiredAsync(orgId, ids), d => d.Contains(id), $"{id} started");
            await _grains.AckAsync(orgId, id);
        }

        var finished = await WaitUntilFinishedAsync(rollout);
        Assert.Equal(new RolloutCounts(5, 5, 0, 0, 0), finished.Counts);
    }

    [Fact]
    public async Task A_shard_calls_no_more_devices_at_once_than_its_call_window_whatever_the_rollout_concurrency()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var ids = SameShardIds(3 * Grains.Rollouts.RolloutShardGrain.CallConcurrency);
        await Task.WhenAll(ids.Select(id => _grains.EnrollAgentAsync(orgId, id)));
        var gate = FleetSiloConfigurator.Publisher.Hold(orgId);
        var rollout = _grains.GetRollout(orgId, "r-window");

        await rollout.StartAsync(Enable(maxConcurrency: ids.Count), ids);

        // Each held publish is a device call the shard is waiting for: the window fills, and nothing more starts.
        await Poll.UntilAsync(() => Task.FromResult(gate.Held), held => held == Grains.Rollouts.RolloutShardGrain.CallConcurrency, "the call window filled");
        Assert.Equal(ids.Count, (await rollout.GetAsync())!.Counts.Pending);
        gate.Open();
        await Poll.UntilAsync(() => DesiredAsync(orgId, ids), d => d.Count == ids.Count, "every device started");
        await Task.WhenAll(ids.Select(id => _grains.AckAsync(orgId, id)));

        var finished = await WaitUntilFinishedAsync(rollout);
        Assert.Equal(new RolloutCounts(ids.Count, ids.Count, 0, 0, 0), finished.Counts);
        Assert.Equal(Grains.Rollouts.RolloutShardGrain.CallConcurrency, gate.MaxHeld);
    }

    [Fact]
    public async Task Reaching_the_abort_threshold_stops_starting_devices_and_fails_the_rest_as_aborted()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var ids = SameShardIds(30, "node");
        await Task.WhenAll(ids.Select(id => _grains.EnrollAgentAsync(orgId, id)));
        var rollout = _grains.GetRollout(orgId, "r-abort");

        await rollout.StartAsync(Enable(maxConcurrency: RolloutSpec.AbortMinimumFinished, abortThresholdPercent: 50), ids);
        var inFlight = ids.Take(RolloutSpec.AbortMinimumFinished).ToList();
        await Poll.UntilAsync(() => DesiredAsync(orgId, ids), d => d.Count == inFlight.Count, "the first devices started");
        foreach (var id in inFlight)
        {
            await _grains.FailAsync(orgId, id, "PAM module missing");
        }

        await Poll.UntilAsync(async () => (await rollout.GetAsync())!.Status, s => s == RolloutStatus.Aborted, "the rollout aborted");

        // Devices started before the abort (into the slots the failures freed) still finish; none starts after it.
        var startedBeforeAbort = (await DesiredAsync(orgId, ids)).Except(inFlight).ToList();
        await Task.WhenAll(startedBeforeAbort.Select(id => _grains.AckAsync(orgId, id)));
        var finished = await WaitUntilFinishedAsync(rollout);

        Assert.Equal(RolloutStatus.Aborted, finished.Status);
        var neverStarted = ids.Count - inFlight.Count - startedBeforeAbort.Count;
        Assert.True(neverStarted > 0, "the abort should have stopped some devices from starting");
        Assert.Equal(new RolloutCounts(ids.Count, startedBeforeAbort.Count, 0, 0, inFlight.Count + neverStarted), finished.Counts);
        var failed = await rollout.GetOutcomesAsync(new RolloutOutcomeQuery(RolloutOutcome.Failed, null, 100));
        Assert.Equal(neverStarted, failed.Items.Count(o => o.Code == ErrorCodes.Aborted));
        Assert.Equal(inFlight.Count, failed.Items.Count(o => o.Code == ErrorCodes.AgentError));
        Assert.Equal(inFlight.Concat(startedBeforeAbort).Order(StringComparer.Ordinal), await DesiredAsync(orgId, ids));
    }

    [Fact]
    public async Task A_filter_rollout_takes_the_orgs_devices_of_that_os_and_disable_turns_them_off()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        string[] linux = ["lin-a", "lin-b", "lin-c"];
        await Task.WhenAll(linux.Select(id => _grains.EnrollAgentAsync(orgId, id)));
        await _grains.EnrollAgentAsync(orgId, "win-a", DeviceOs.Windows, "10.0.22631");

        var enable = await _grains.GetRollout(orgId, "r-linux").StartAsync(Enable(os: DeviceOs.Linux), null);
        Assert.Equal(3, enable.Counts.Total);
        await Task.WhenAll(linux.Select(id => _grains.AckAsync(orgId, id)));
        await WaitUntilFinishedAsync(_grains.GetRollout(orgId, "r-linux"));

        var disable = await _grains.GetRollout(orgId, "r-off").StartAsync(Enable(os: DeviceOs.Linux) with { Action = RolloutAction.DisableMfa }, null);
        Assert.Equal(3, disable.Counts.Total);
        await Task.WhenAll(linux.Select(id => _grains.AckAsync(orgId, id)));
        var off = await WaitUntilFinishedAsync(_grains.GetRollout(orgId, "r-off"));

        Assert.Equal(3, off.Counts.Succeeded);
        var devices = await Task.WhenAll(linux.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        Assert.All(devices, d => Assert.Equal((false, MfaStatus.Disabled), (d!.Mfa.Desired, d.Mfa.Status)));
        Assert.False((await _grains.GetDevice(orgId, "win-a").GetAsync())!.Mfa.Desired);
        Assert.Equal(["r-off", "r-linux"], await _grains.GetOrg(orgId).GetRolloutIdsAsync());
    }

    [Fact]
    public async Task A_device_already_in_the_wanted_state_succeeds_at_once_and_an_empty_filter_completes()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.EnrollAgentAsync(orgId, "done");
        await _grains.GetDevice(orgId, "done").EnableMfaAsync(force: false);
        await _grains.AckAsync(orgId, "done");

        var rollout = _grains.GetRollout(orgId, "r-noop");
        await rollout.StartAsync(Enable(), ["done"]);
        Assert.Equal(new RolloutCounts(1, 1, 0, 0, 0), (await WaitUntilFinishedAsync(rollout)).Counts);

        var none = _grains.GetRollout(orgId, "r-none");
        await none.StartAsync(Enable(os: DeviceOs.Macos), null);
        var finished = await WaitUntilFinishedAsync(none);
        Assert.Equal((RolloutStatus.Completed, RolloutCounts.Empty), (finished.Status, finished.Counts));
    }

    [Fact]
    public async Task A_device_whose_agent_never_acknowledges_fails_with_timeout_once_the_ack_timeout_passes()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.EnrollAgentAsync(orgId, "silent");
        await _grains.EnrollAgentAsync(orgId, "late");
        var rollout = _grains.GetRollout(orgId, "r-timeout");
        await rollout.StartAsync(Enable() with { AckTimeout = TimeSpan.FromMinutes(2) }, ["silent", "late"]);
        await Poll.UntilAsync(() => DesiredAsync(orgId, ["silent", "late"]), d => d.Count == 2, "both devices started");

        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        await _grains.AckAsync(orgId, "late");
        fixture.Time.Advance(TimeSpan.FromMinutes(1));

        // The shard notices on its next tick; let the clock keep moving in tick-sized steps until it has.
        var finished = await Poll.UntilAsync(
            async () =>
            {
                fixture.Time.Advance(RolloutShardGrainTick);
                return (await rollout.GetAsync())!;
            },
            s => s.FinishedAt is not null,
            "the rollout finished");

        Assert.Equal(new RolloutCounts(2, 1, 0, 0, 1), finished.Counts);
        var silent = Assert.Single((await rollout.GetOutcomesAsync(new RolloutOutcomeQuery(RolloutOutcome.Failed, null, 10))).Items);
        Assert.Equal(("silent", ErrorCodes.Timeout), (silent.DeviceId, silent.Code));
    }

    [Fact]
    public async Task A_lost_ack_is_recovered_the_shard_asks_again_and_the_device_republishes_its_desired_state()
    {
        // The agent applied and answered, but its report died with a silo (in that silo's MQTT bridge, or on its way
        // to a device activation there): nothing would ever tell the rollout, until the ack timeout fails the device.
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        await _grains.EnrollAgentAsync(orgId, "lost-ack");
        var rollout = _grains.GetRollout(orgId, "r-lost-ack");
        await rollout.StartAsync(Enable() with { AckTimeout = TimeSpan.FromMinutes(5) }, ["lost-ack"]);
        await Poll.UntilAsync(() => DesiredAsync(orgId, ["lost-ack"]), d => d.Count == 1, "the device started");
        var published = FleetSiloConfigurator.Publisher.Count(orgId, "lost-ack");

        // After the recheck period (well inside the ack timeout) the shard asks again, and the device publishes its
        // desired state once more: the agent answers every desired state it receives.
        fixture.Time.Advance(RolloutShardGrainAckRecheck);
        await Poll.UntilAsync(
            () => Task.FromResult(FleetSiloConfigurator.Publisher.Count(orgId, "lost-ack")),
            n => n > published,
            "the device re-published its desired state");
        Assert.Equal(new RolloutCounts(1, 0, 1, 0, 0), (await rollout.GetAsync())!.Counts);

        await _grains.AckAsync(orgId, "lost-ack");
        var finished = await WaitUntilFinishedAsync(rollout);
        Assert.Equal(new RolloutCounts(1, 1, 0, 0, 0), finished.Counts);
    }

    [Fact]
    public void A_device_slow_to_acknowledge_is_asked_again_at_30_60_120_and_240_seconds()
    {
        var asks = new List<int>();
        var lastAsk = 0;
        for (var second = 1; second <= 300; second++)
        {
            if (Grains.Rollouts.RolloutShardGrain.RecheckDue(TimeSpan.FromSeconds(second - lastAsk), TimeSpan.FromSeconds(second)))
            {
                asks.Add(second);
                lastAsk = second;
            }
        }

        Assert.Equal([30, 60, 120, 240], asks);
    }

    [Fact]
    public async Task A_shard_report_older_than_the_counts_held_does_not_put_devices_back_to_pending_in_the_final_counts()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var first = SameShardIds(1, "stale-report")[0];
        var second = Enumerable.Range(0, 10_000).Select(i => $"stale-report-b{i}").First(id => GrainKeys.DeviceShard(id) == 8);
        await Task.WhenAll(new[] { first, second }.Select(id => _grains.EnrollAgentAsync(orgId, id)));
        var rollout = _grains.GetRollout(orgId, "r-stale-report");
        await rollout.StartAsync(Enable(), [first, second]);

        // Shard 7 finishes; then a report of it that waited (behind the reminder's resume of the shard, or across a
        // silo's death) arrives; then shard 8 finishes, and the rollout freezes its final counts.
        await rollout.ReportShardAsync(7, new RolloutCounts(1, 1, 0, 0, 0), finished: true);
        await rollout.ReportShardAsync(7, new RolloutCounts(1, 0, 1, 0, 0), finished: false);
        await rollout.ReportShardAsync(8, new RolloutCounts(1, 1, 0, 0, 0), finished: true);

        var finished = (await rollout.GetAsync())!;
        Assert.Equal((RolloutStatus.Completed, new RolloutCounts(2, 2, 0, 0, 0)), (finished.Status, finished.Counts));
    }

    [Fact]
    public async Task Outcomes_page_through_every_shard_with_a_cursor()
    {
        var orgId = await _grains.NewOrgAsync(totpEnabled: true);
        var ids = Enumerable.Range(0, 25).Select(i => $"pc-{i}").ToList();
        var rollout = _grains.GetRollout(orgId, "r-pages");
        await rollout.StartAsync(Enable(), ids); // none exists: every one fails not-found at once
        await WaitUntilFinishedAsync(rollout);

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await rollout.GetOutcomesAsync(new RolloutOutcomeQuery(null, cursor, 7));
            Assert.True(page.Items.Count <= 7);
            seen.AddRange(page.Items.Select(o => o.DeviceId));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Theory]
    [InlineData(0, null, null, 300)]
    [InlineData(10_001, null, null, 300)]
    [InlineData(10, 0, null, 300)]
    [InlineData(10, null, 101, 300)]
    [InlineData(10, null, null, 0)]
    public async Task Out_of_range_settings_are_refused_before_anything_starts(int maxConcurrency, int? rate, int? abort, int ackSeconds)
    {
        var orgId = await _grains.NewOrgAsync();
        var spec = new RolloutSpec(RolloutAction.EnableMfa, false, null, maxConcurrency, rate, abort, TimeSpan.FromSeconds(ackSeconds), "test");

        var ex = await Assert.ThrowsAsync<FleetMfaException>(() => _grains.GetRollout(orgId, "r-bad").StartAsync(spec, ["a"]));

        Assert.Equal(ErrorCodes.Validation, ex.Code);
        Assert.Null(await _grains.GetRollout(orgId, "r-bad").GetAsync());
    }

    [Fact]
    public async Task Duplicate_or_malformed_device_ids_and_unknown_orgs_are_refused()
    {
        var orgId = await _grains.NewOrgAsync();
        Assert.Equal(ErrorCodes.Validation, (await Assert.ThrowsAsync<FleetMfaException>(() => _grains.GetRollout(orgId, "r-dup").StartAsync(Enable(), ["a", "a"]))).Code);
        Assert.Equal(ErrorCodes.Validation, (await Assert.ThrowsAsync<FleetMfaException>(() => _grains.GetRollout(orgId, "r-bad").StartAsync(Enable(), ["Not A Slug"]))).Code);
        Assert.Equal(ErrorCodes.Validation, (await Assert.ThrowsAsync<FleetMfaException>(() => _grains.GetRollout(orgId, "r-empty").StartAsync(Enable(), []))).Code);
        Assert.Equal(ErrorCodes.NotFound, (await Assert.ThrowsAsync<FleetMfaException>(() => _grains.GetRollout("no-such-org", "r-1").StartAsync(Enable(), ["a"]))).Code);
    }

    /// <summary>The ids (in <paramref name="ids"/> order) whose device switch is on.</summary>
    private async Task<List<string>> DesiredAsync(string orgId, IReadOnlyList<string> ids)
    {
        var details = await Task.WhenAll(ids.Select(id => _grains.GetDevice(orgId, id).GetAsync()));
        return [.. ids.Where((_, i) => details[i]!.Mfa.Desired)];
    }
}
