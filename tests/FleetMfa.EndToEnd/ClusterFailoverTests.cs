using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Agents;
using FleetMfa.Testing.Fleet;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd;

/// <summary>
/// The cluster of deploy/cluster.sh — two silos with Azure Table membership on Azurite behind one Mosquitto, each with
/// its own bridge account — loses a silo (SIGKILL) in the middle of a rollout over a few hundred agents: the rollout
/// still completes through the survivor, and no device is lost. The agents are in-process ones (tests/FleetMfa.Testing,
/// as the load generator runs them): the real agent daemon and applier, each with its own MQTT session.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed partial class ClusterFailoverTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    private const int AgentCount = 300;

    /// <summary>
    /// Paces the rollout (each of the 64 index shards starts one device at once, then one every ~13 s) so it runs for
    /// a couple of minutes and the kill lands in the middle of it.
    /// </summary>
    private const int RatePerMinute = 300;

    /// <summary>
    /// Shorter than the default (300 s) on purpose: an agent re-reports on its own every 5 minutes, and that heartbeat
    /// must not be what rescues an ack lost with the dead silo — the control plane has to recover it. Still far above
    /// what recovery takes (death detection, the rollout's 1-minute reminder, a 30-second re-ask), even on a busy box.
    /// A device that only finishes by timing out fails the test.
    /// </summary>
    private const int AckTimeoutSeconds = 240;

    /// <summary>
    /// The kill waits for the rollout's second wave: each shard starts one device at once, the next ~13 s later, all
    /// shards nearly together. Once this many agents applied MFA, the second wave's acks are on their way — through
    /// the dying silo's bridge, to device grains and rollout shards on it.
    /// </summary>
    private const int KillAtAgentsApplied = 72;

    private static readonly TimeSpan SetupDeadline = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task A_rollout_over_300_agents_completes_and_loses_no_device_when_the_silo_running_it_is_killed()
    {
        await using var mosquitto = await MosquittoBroker.StartAsync(fixture.Workspace, "failover", bridges: 2);
        var shared = await ClusterEnvironment.CreateAsync(fixture.Workspace, "failover");

        // Where each rollout shard runs shows in the log of the silo that activated it.
        shared["Logging__LogLevel__FleetMfa.Grains.Rollouts.RolloutShardGrain"] = "Debug";
        var adminKey = $"fma_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))}";
        await using var first = await SiloProcess.StartAsync((fixture.NewSiloSettings("failover-1") with { AdminKey = adminKey, Environment = shared }).WithMosquitto(mosquitto, 1));
        await using var second = await SiloProcess.StartAsync((fixture.NewSiloSettings("failover-2") with { AdminKey = adminKey, Environment = shared }).WithMosquitto(mosquitto, 2));
        SiloProcess[] silos = [first, second];
        foreach (var silo in silos)
        {
            await Poll.UntilAsync(() => ActiveSilosAsync(silo), n => n == 2, "both silos see a two-silo cluster", TimeSpan.FromMinutes(2));
        }

        // The load generator's set-up: TOTP on, one enrolled user bound on every device, agents enrolled through both silos.
        var testOrg = await TestOrg.CreateAsync(first.Api, TestIds.Unique("failover"));
        var org = testOrg.OrgId;
        await testOrg.EnrollUserAsync(first.Api, "alice");
        var setup = Stopwatch.StartNew();
        await using var fleet = await AgentFleet.StartAsync(testOrg, first.Api, [first.AgentAddress, second.AgentAddress], AgentCount, "failover", "alice", SetupDeadline);
        var before = (await first.Admin.GetAsync($"/api/orgs/{org}")).Ok()["devices"]!;
        Assert.Equal((AgentCount, 0), ((int)before["total"]!, (int)before["enabled"]!));
        output.WriteLine($"set-up: {AgentCount} agents enrolled, bound and connected in {setup.Elapsed.TotalSeconds:F0} s");

        var created = (await first.Admin.PostAsync($"/api/orgs/{org}/rollouts", new
        {
            action = "enable-mfa",
            filter = new { },
            ratePerMinute = RatePerMinute,
            ackTimeoutSeconds = AckTimeoutSeconds,
        })).Ok(HttpStatusCode.Accepted);
        var rolloutId = (string)created["rolloutId"]!;
        Assert.Equal(AgentCount, (int)created["total"]!);
        var rolloutClock = Stopwatch.StartNew();

        // The victim is the silo running the rollout grain (its "started" line is logged where it is activated).
        var started = $"Rollout {org}/{rolloutId} started";
        var victim = (await Poll.UntilAsync(
            () => Task.FromResult(silos.SingleOrDefault(s => s.Output.Contains(started, StringComparison.Ordinal))),
            s => s is not null,
            "one silo logged the rollout's start"))!;
        var survivor = victim == first ? second : first;

        var beforeKill = await Poll.UntilAsync(
            () => victim.Admin.TryGetRolloutAsync(org, rolloutId),
            r => r is not null && (int)r["succeeded"]! >= 1,
            "the rollout's first devices succeeded",
            SetupDeadline);
        var appliedAtKill = await Poll.UntilAsync(
            () => Task.FromResult(fleet.Count(s => s.MfaOnAppliedAt != 0)),
            n => n >= KillAtAgentsApplied,
            $"{KillAtAgentsApplied} agents applied MFA",
            SetupDeadline);
        await victim.Process.KillAsync();
        var killClock = Stopwatch.StartNew();
        Assert.Equal("running", (string?)beforeKill!["state"]);
        Assert.InRange((int)beforeKill["succeeded"]!, 1, AgentCount - 1);
        Assert.InRange(appliedAtKill, KillAtAgentsApplied, AgentCount - 1);

        var victimShards = ShardStarted().Matches(victim.Output)
            .Where(m => m.Groups["rollout"].Value == $"{org}/{rolloutId}")
            .Select(m => int.Parse(m.Groups["shard"].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToHashSet();
        output.WriteLine(
            $"killed silo {(victim == first ? 1 : 2)} (pid {victim.Process.Id}) {rolloutClock.Elapsed.TotalSeconds:F1} s into the rollout: it ran the rollout grain " +
            $"and {victimShards.Count} of its 64 shards; {appliedAtKill}/{AgentCount} agents had applied MFA (the rollout counted " +
            $"{(int)beforeKill["succeeded"]!} succeeded shortly before)");
        Assert.NotEmpty(victimShards);

        await Poll.UntilAsync(() => ActiveSilosAsync(survivor), n => n == 1, "the survivor declared the killed silo dead", RecoveryDeadline);
        var declaredDead = killClock.Elapsed;

        var done = await Poll.UntilAsync(
            () => survivor.Admin.TryGetRolloutAsync(org, rolloutId),
            r => (string?)r?["state"] is "completed" or "aborted",
            $"rollout {rolloutId} finished after the kill",
            RecoveryDeadline);
        var recovered = killClock.Elapsed;
        output.WriteLine(
            $"recovery: the survivor declared the killed silo dead after {declaredDead.TotalSeconds:F1} s; the rollout completed " +
            $"{recovered.TotalSeconds:F1} s after the kill ({rolloutClock.Elapsed.TotalSeconds:F1} s after it started); the survivor's bridge " +
            $"held {RouteFailed().Count(survivor.Output)} MQTT messages no grain could take at first (each tried again until one did)");

        Assert.Equal("completed", (string?)done!["state"]);
        Assert.Equal(
            (AgentCount, AgentCount, 0, 0, 0),
            ((int)done["total"]!, (int)done["succeeded"]!, (int)done["pending"]!, (int)done["rejected"]!, (int)done["failed"]!));

        // Every device has its outcome, once, on the outcome pages.
        var outcomes = await survivor.Admin.GetRolloutOutcomesAsync(org, rolloutId);
        Assert.Equal(fleet.DeviceIds.Order(StringComparer.Ordinal), outcomes.Select(o => (string)o["deviceId"]!).Order(StringComparer.Ordinal));
        Assert.Empty(outcomes.Where(o => (string?)o["outcome"] != "succeeded").Select(o => o.ToJsonString()));

        // Every device reads "enabled" in the control plane: its grain, which owns the status.
        var devices = await survivor.Admin.GetDevicesAsync(org, fleet.DeviceIds);
        Assert.Empty(devices.Where(d => (string?)d.Value["mfa"]!["status"] != "enabled").Select(d => $"{d.Key}: {d.Value["mfa"]!["status"]}"));

        // The index behind listings and counts still lists every device. Its status column can lag: a few row updates
        // made around the kill can still be lost (an open gap: the row is not re-sent until the device changes again),
        // so it is measured here, not asserted.
        var rows = (await survivor.Admin.GetAsync($"/api/orgs/{org}/devices?limit=500")).Ok()["items"]!.AsArray();
        Assert.Equal(fleet.DeviceIds.Order(StringComparer.Ordinal), rows.Select(r => (string)r!["deviceId"]!).Order(StringComparer.Ordinal));
        var lagging = rows.Where(r => (string?)r!["mfaStatus"] != "enabled").Select(r => (string)r!["deviceId"]!).ToList();
        output.WriteLine($"index: {AgentCount - lagging.Count}/{AgentCount} rows read enabled{(lagging.Count == 0 ? "" : $"; lagging: {string.Join(", ", lagging)}")}");

        // And every agent holds the state: MFA on, alice's secret unsealed.
        Assert.Empty(fleet.Agents.Where(a => a.Store.Load() is not { Mfa: true } || a.UnsealedUsers() != 1).Select(a => a.DeviceId));
    }

    [GeneratedRegex(@"Rollout (?<rollout>\S+) shard (?<shard>\d+) started with")]
    private static partial Regex ShardStarted();

    /// <summary>The bridge's "MQTT message on {Topic} could not be handed to its grain ...; it is held" (event 313).</summary>
    [GeneratedRegex(@"MqttBridge\[313\]")]
    private static partial Regex RouteFailed();

    /// <summary>The silo's count of active silos, or 0 while it does not answer.</summary>
    private static async Task<int> ActiveSilosAsync(SiloProcess silo)
    {
        try
        {
            return (int?)(await silo.Anonymous.GetAsync("/healthz")).Json["activeSilos"] ?? 0;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return 0;
        }
    }
}
