using System.Diagnostics;
using FleetMfa.Load.Fleet;
using FleetMfa.Load.Measurement;
using FleetMfa.Testing.Agents;
using FleetMfa.Testing.Fleet;

namespace FleetMfa.Load.Benchmarks;

/// <summary>
/// <c>fanout</c>: N connected agents, each holding one bound, enrolled user; MFA switched on for all of them (one
/// rollout, or one call per device); the clock runs until the control plane counts every device <c>enabled</c>
/// (org summary, polled every 100 ms). Per device: from the switch until its agent applied the state with MFA on
/// (having unsealed the user's secret); the agent reports right after.
/// </summary>
public static class FanoutBenchmark
{
    /// <summary>Reports in which an agent acknowledged a newer desired state (<c>FleetMetrics</c>).</summary>
    private const string AcksMetric = "fleetmfa_desired_acks_total";

    public static async Task<Figures> RunAsync(LoadOptions options, FleetClient api, CancellationToken cancellationToken)
    {
        var org = options.Org;
        var n = options.Devices;
        var testOrg = await TestOrg.CreateAsync(api, org, totp: true, cancellationToken);
        await testOrg.EnrollUserAsync(api, "alice", cancellationToken);

        await using var fleet = new AgentFleet(options.WorkDirectory, n);
        var enrollTime = await Progress.ForEachAsync(
            "enrolled agents",
            fleet.Agents,
            Math.Min(options.Concurrency, 32),
            async (agent, ct) => await agent.EnrollAsync(options.Agents, testOrg.ConnectKey, ct, Progress.Say),
            cancellationToken);
        await Progress.ForEachAsync(
            "bound alice",
            fleet.DeviceIds,
            options.Concurrency,
            async (id, ct) => await api.RetryAsync(() => api.PutAsync($"/api/orgs/{org}/devices/{id}/users/alice", new { localUsername = "alice" }, ct)),
            cancellationToken);

        var acksBefore = await api.MetricAsync(AcksMetric, cancellationToken);
        var connectClock = Stopwatch.StartNew();
        await fleet.StartAsync(perSecond: 2000, cancellationToken);
        await WaitForAgentsAsync(fleet, "agents subscribed", s => s.SubscribedAt != 0, options.Timeout, cancellationToken);
        await WaitForAgentsAsync(fleet, "agents holding their first desired state", s => s.Applied > 0, options.Timeout, cancellationToken);

        // The agents hold their first desired state, but their reports saying so may still queue in the control plane
        // (10,000 at once): a switch started now would be measured behind that backlog (a rollout accepted after 24 s).
        await Progress.WaitForAsync(
            "first acks the control plane took",
            async () => (int)(await api.MetricAsync(AcksMetric, cancellationToken) - acksBefore),
            n,
            options.Timeout,
            TimeSpan.FromMilliseconds(500),
            cancellationToken);
        var connectTime = connectClock.Elapsed;
        var before = await testOrg.DeviceCountsAsync(api, cancellationToken);
        if ((int)before["enabled"]! != 0)
        {
            throw new InvalidOperationException($"unexpected device counts before the switch: {before.ToJsonString()}");
        }

        Progress.Say($"switching MFA on for {n} devices ({options.EnableMode})");
        var cpu = new CpuSampler(options.Optional("cpu-pids"));
        cpu.Start();
        var start = Stopwatch.GetTimestamp();
        await api.EnableMfaAsync(org, fleet.DeviceIds, options.EnableMode, options.Concurrency, cancellationToken);
        var accepted = Stopwatch.GetElapsedTime(start);
        // Until every device counts as enabled; or, when neither that count nor the agents that applied MFA move for
        // --stall seconds (a lost update in the control plane), the time of the last device that did: reported with
        // complete=no. Agents count as progress: their acks may queue behind a burst before the first device counts.
        var enabled = 0;
        var agentsApplied = 0;
        var lastChange = Stopwatch.GetTimestamp();
        var lastEnabledAt = lastChange;
        var stall = TimeSpan.FromSeconds(int.Parse(options.Optional("stall") ?? "60", System.Globalization.CultureInfo.InvariantCulture));
        var said = Stopwatch.GetTimestamp();
        while (enabled < n && Stopwatch.GetElapsedTime(lastChange) < stall && Stopwatch.GetElapsedTime(start) < options.Timeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            var now = (int)(await testOrg.DeviceCountsAsync(api, cancellationToken))["enabled"]!;
            if (now != enabled)
            {
                enabled = now;
                lastChange = lastEnabledAt = Stopwatch.GetTimestamp();
            }

            var applying = fleet.Agents.Count(a => a.Signals.MfaOnAppliedAt != 0);
            if (applying != agentsApplied)
            {
                agentsApplied = applying;
                lastChange = Stopwatch.GetTimestamp();
            }

            if (Stopwatch.GetElapsedTime(said) > TimeSpan.FromSeconds(5))
            {
                said = Stopwatch.GetTimestamp();
                Progress.Say($"devices enabled in the control plane: {enabled}/{n}, agents applied: {agentsApplied} ({Stopwatch.GetElapsedTime(start).TotalSeconds:F0} s)");
            }
        }

        var total = Stopwatch.GetElapsedTime(start, lastEnabledAt);
        var figures = new Figures();
        cpu.Stop(figures);

        var applied = fleet.Agents
            .Select(a => a.Signals.MfaOnAppliedAt)
            .Where(t => t != 0)
            .Select(t => Stopwatch.GetElapsedTime(start, t).TotalMilliseconds)
            .ToList();
        var unsealed = fleet.Agents.Count(a => a.UnsealedUsers() == 1);
        var warnings = fleet.Agents.Sum(a => a.Signals.Warnings);
        if (fleet.Agents.Select(a => a.Signals.LastWarning).FirstOrDefault(w => w is not null) is { } warning)
        {
            Progress.Say($"an agent warned: {warning}");
        }

        return figures
            .Add("devices", n)
            .Add("enabled", enabled)
            .Add("complete", enabled == n ? "yes" : "no")
            .Add("agents_applied", applied.Count)
            .Add("agents_applied_s", applied.Count == 0 ? double.NaN : applied.Max() / 1000, 2)
            .Add("enable", options.EnableMode)
            .Add("seconds", total.TotalSeconds, 2)
            .Add("devices_per_s", enabled / total.TotalSeconds, 0)
            .Add("apply_p50_ms", Percentiles.Of(applied, 50), 0)
            .Add("apply_p99_ms", Percentiles.Of(applied, 99), 0)
            .Add("accepted_ms", accepted.TotalMilliseconds, 0)
            .Add("unsealed", unsealed)
            .Add("agent_warnings", warnings)
            .Add("server_error_retries", FleetSetup.Retries)
            .Add("enroll_per_s", n / enrollTime.TotalSeconds, 0)
            .Add("connect_s", connectTime.TotalSeconds, 1);
    }

    private static Task<TimeSpan> WaitForAgentsAsync(AgentFleet fleet, string what, Func<AgentSignals, bool> predicate, TimeSpan timeout, CancellationToken cancellationToken) =>
        Progress.WaitForAsync(what, () => Task.FromResult(fleet.Count(predicate)), fleet.Agents.Count, timeout, TimeSpan.FromMilliseconds(100), cancellationToken);
}
