using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Testing.Agents;
using FleetMfa.Testing.Fleet;
using FleetMfa.Testing.Storage;
using MQTTnet;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Azure Table storage becomes unreachable for a silo in the middle of an enable-MFA rollout over 1,000 in-process agents
/// (the real agent code, each with its own MQTT session on Mosquitto), and comes back: for <see cref="Outage"/> every
/// connection the silo holds to Azurite is reset and every new one refused, through a <see cref="StorageProxy"/>, while
/// Azurite itself runs on. The rollout has no rate limit, so the cut finds devices acknowledged and counted, devices whose
/// agent applied MFA but whose ack is not stored, writes in flight (some stored, their answer lost) and devices not
/// started; the silo's storage calls fail throughout.
/// <para>
/// "Published twice for the same version", from an independent subscriber on every device's desired topic (a read-only
/// Mosquitto account), checked against the silo's own log of what it published:
/// </para>
/// <list type="bullet">
/// <item>No (device, version) is ever published with two contents: every delivery — the retained one the observer got on
/// subscribing, and every live one — carries the same document but for <c>issuedAt</c> and the sealing of each secret (an
/// ephemeral key and nonce per publish, so the ciphertext differs by design).</item>
/// <item>The rollout gives each device exactly one new version, the one it ends at: a write whose answer was lost and that
/// the grain decided again did not become a second version.</item>
/// <item>A device the rollout had counted <c>succeeded</c> before the cut is published exactly once for it.</item>
/// <item>A device not settled at the cut may be published again for the same version, with the same content; the design
/// does that on purpose, so "at most once" cannot be asserted for these devices (the output counts them). A device still
/// awaiting its ack publishes whenever the rollout asks it and it has not published for 3 s, and its stored outbox
/// publishes too: here about 40 % of the devices, in two ways seen in the silo's log — a write that reached Azurite but
/// whose answer the cut lost (the retry meets a stale ETag, reads the stored state back, finds nothing left to decide: the
/// ask publishes, and the outbox publishes again with the ack's write), and an outbox whose publish waits behind a failed
/// effect (the index row, its table cut too: the ask publishes, the outbox again once the index took the row). The
/// rollout's re-ask of a device still awaiting its ack (30 s after the last ask, then 60, 120, 240 s) and an outbox run
/// again after an activation ended re-publish by design too; acks are late, never lost (the bridge holds a report no
/// grain can take and tries it again until one does).</item>
/// </list>
/// 1,000 agents set up, roll out through the outage and recover in about 80 s here (a shared 2-core box); the output has
/// each phase.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed partial class StorageOutageRolloutTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    private const int AgentCount = 1_000;

    /// <summary>The cut waits until this many agents applied MFA (a quarter of the fleet).</summary>
    private const int CutAtAgentsApplied = AgentCount / 4;

    /// <summary>How long storage stays unreachable: a fixed stretch of wall-clock time, since the silo's storage client and its retries run on real time.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan SetupDeadline = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan RolloutDeadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_rollout_over_1000_agents_completes_every_device_enabled_with_one_content_per_version_when_storage_is_cut_for_15_seconds_in_the_middle()
    {
        var clock = Stopwatch.StartNew();
        await using var storage = StorageProxy.Start(fixture.Storage.ConnectionString);
        await using var mosquitto = await MosquittoBroker.StartAsync(fixture.Workspace, "outage", observer: true);
        var settings = fixture.NewSiloSettings("outage") with
        {
            Storage = storage.ConnectionString,

            // Each publish is logged ("desired state {Version} published"): the observer's count is checked against it.
            Environment = new Dictionary<string, string> { ["Logging__LogLevel__FleetMfa.Grains.Devices.DeviceGrain"] = "Debug" },
        };
        await using var silo = await SiloProcess.StartAsync(settings.WithMosquitto(mosquitto));
        var org = await TestOrg.CreateAsync(silo.Api, TestIds.Unique("outage"));
        await org.EnrollUserAsync(silo.Api, "alice");
        await using var fleet = await AgentFleet.StartAsync(org, silo.Api, [silo.AgentAddress], AgentCount, "outage", "alice", SetupDeadline);
        var setUp = clock.Elapsed;

        // The observer gets each device's retained desired state on subscribing, then every publish as it happens.
        await using var observer = await mosquitto.Observer!.ConnectEventuallyAsync();
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await observer.SubscribeAsync($"fleetmfa/v1/{org.OrgId}/+/desired"));
        await Poll.UntilAsync(() => observer.Received.Count(m => m.Retain) == AgentCount, "the observer holds every device's retained desired state");
        var heldVersion = observer.Received.Where(m => m.Retain).Select(Parse).ToDictionary(d => d.DeviceId, d => d.Version, StringComparer.Ordinal);

        var rolloutStart = observer.Received.Count;
        var rolloutId = (string)(await silo.Api.PostAsync($"/api/orgs/{org.OrgId}/rollouts", new { action = "enable-mfa", filter = new { } }))["rolloutId"]!;
        var rolloutClock = Stopwatch.StartNew();

        await Poll.UntilAsync(() => fleet.Count(s => s.MfaOnAppliedAt != 0) >= CutAtAgentsApplied, $"{CutAtAgentsApplied} agents applied MFA", RolloutDeadline);
        var settledBeforeCut = (await silo.Admin.GetRolloutOutcomesAsync(org.OrgId, rolloutId, "succeeded")).Select(o => (string)o["deviceId"]!).ToHashSet(StringComparer.Ordinal);
        storage.Cut();
        var cutAt = rolloutClock.Elapsed;
        var appliedAtCut = fleet.Count(s => s.MfaOnAppliedAt != 0);
        await Task.Delay(Outage);
        var refused = storage.ConnectionsRefused;
        var appliedDuringOutage = fleet.Count(s => s.MfaOnAppliedAt != 0) - appliedAtCut;
        storage.Restore();

        // The cut came in the middle: devices acknowledged and counted, devices whose agent applied MFA but whose ack
        // was not counted yet, devices not reached yet; and the silo kept trying storage.
        Assert.InRange(settledBeforeCut.Count, 1, appliedAtCut - 1);
        Assert.InRange(appliedAtCut, CutAtAgentsApplied, AgentCount - 1);
        Assert.True(refused > 0, "the silo never tried to reach storage during the outage");

        var done = await Poll.UntilAsync(
            () => silo.Admin.TryGetRolloutAsync(org.OrgId, rolloutId),
            r => (string?)r?["state"] is "completed" or "aborted",
            $"rollout {rolloutId} finished after storage came back",
            RolloutDeadline);
        var finishedAt = rolloutClock.Elapsed;
        Assert.Equal("completed", (string?)done!["state"]);
        Assert.Equal(
            (AgentCount, AgentCount, 0, 0, 0),
            ((int)done["total"]!, (int)done["succeeded"]!, (int)done["pending"]!, (int)done["rejected"]!, (int)done["failed"]!));

        // Every device enabled in its grain, and every agent holding MFA on with alice's secret unsealed.
        var devices = await silo.Admin.GetDevicesAsync(org.OrgId, fleet.DeviceIds);
        Assert.Empty(devices.Where(d => (string?)d.Value["mfa"]!["status"] != "enabled" || (long)d.Value["mfa"]!["appliedVersion"]! != (long)d.Value["mfa"]!["desiredVersion"]!)
            .Select(d => $"{d.Key}: {d.Value["mfa"]!.ToJsonString()}"));
        Assert.Empty(fleet.Agents.Where(a => a.Store.Load() is not { Mfa: true } || a.UnsealedUsers() != 1).Select(a => a.DeviceId));

        // What the silo published: its log of each publish, read once everything settled. The observer must have received
        // every one of those, and nothing else: then its counts are the silo's, with no delivery lost or doubled.
        var desiredVersion = devices.ToDictionary(d => d.Key, d => (long)d.Value["mfa"]!["desiredVersion"]!, StringComparer.Ordinal);
        var siloLog = silo.Output;
        var logged = Published().Matches(siloLog)
            .Where(m => m.Groups["org"].Value == org.OrgId)
            .Select(m => (DeviceId: m.Groups["device"].Value, Version: long.Parse(m.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .Where(p => p.Version > heldVersion[p.DeviceId])
            .ToLookup(p => p.DeviceId, StringComparer.Ordinal);
        await Poll.UntilAsync(
            () => observer.Received.Skip(rolloutStart).Count(m => !m.Retain) >= logged.Sum(g => g.Count()),
            "the observer received every publish of a new version the silo logged");
        Assert.True(await observer.PingAsync(), "the observer lost its session: it may have missed publishes");
        var received = observer.Received;

        var twoContents = received.Select(Parse).GroupBy(d => (d.DeviceId, d.Version))
            .Where(g => g.Select(d => d.Content).Distinct(StringComparer.Ordinal).Count() > 1)
            .Select(g => $"{g.Key.DeviceId} v{g.Key.Version}: {string.Join(" | ", g.Select(d => d.Content).Distinct(StringComparer.Ordinal))}");
        AssertNone("versions published with two contents", twoContents);

        // Publishes of a version the device already held are the tail of the set-up (an agent's connect report racing the
        // retained message gets the held version published again, by design): counted, and checked for content above.
        var afterStart = received.Skip(rolloutStart).Where(m => !m.Retain).Select(Parse).ToList();
        var live = afterStart.Where(d => d.Version > heldVersion[d.DeviceId]).ToLookup(d => d.DeviceId, StringComparer.Ordinal);
        AssertNone(
            "devices whose publishes the observer counted otherwise than the silo logged them",
            fleet.DeviceIds.Where(id => logged[id].Count() != live[id].Count()).Select(id => $"{id}: silo {logged[id].Count()}, observer {live[id].Count()}"));
        AssertNone(
            "devices whose new versions after the rollout started are not exactly the one they end at",
            fleet.DeviceIds
                .Where(id => live[id].Select(d => d.Version).Distinct().ToList() is not [var only] || only != desiredVersion[id])
                .Select(id => $"{id}: held v{heldVersion[id]}, ends at v{desiredVersion[id]}, published after the start: {string.Join(", ", live[id].Select(d => $"v{d.Version}"))}"));
        AssertNone(
            "devices counted succeeded before the cut and published again",
            settledBeforeCut.Where(id => live[id].Count() != 1).Select(id => $"{id}: published {live[id].Count()} times"));

        var publishes = fleet.DeviceIds.GroupBy(id => live[id].Count()).OrderBy(g => g.Key).Select(g => $"{g.Count()} devices × {g.Key}");
        output.WriteLine(
            $"{AgentCount} agents set up in {setUp.TotalSeconds:F0} s; the cut came {cutAt.TotalSeconds:F1} s into the rollout with {appliedAtCut} agents " +
            $"applied and {settledBeforeCut.Count} devices counted succeeded; during the {Outage.TotalSeconds:F0} s outage {appliedDuringOutage} more agents applied " +
            $"and the proxies refused {refused} connections ({storage.ConnectionsCut} open ones cut); the rollout completed {finishedAt.TotalSeconds:F1} s after it " +
            $"started ({(finishedAt - cutAt - Outage).TotalSeconds:F1} s after storage came back); publishes of the new version per device: {string.Join(", ", publishes)} " +
            $"(and {afterStart.Count(d => d.Version <= heldVersion[d.DeviceId])} of a version already held, the set-up's tail); " +
            $"the bridge held {RouteFailed().Count(siloLog)} reports no grain could take at first; whole test {clock.Elapsed.TotalSeconds:F0} s");
    }

    [GeneratedRegex(@"Device (?<org>\S+)/(?<device>\S+) desired state (?<version>\d+) published")]
    private static partial Regex Published();

    /// <summary>The bridge's "MQTT message on {Topic} could not be handed to its grain ...; it is held" (event 313).</summary>
    [GeneratedRegex(@"MqttBridge\[313\]")]
    private static partial Regex RouteFailed();

    /// <summary>Fails with the number of <paramref name="problems"/> and the first 20 in full.</summary>
    private static void AssertNone(string what, IEnumerable<string> problems)
    {
        var all = problems.ToList();
        Assert.True(all.Count == 0, $"{all.Count} {what}:\n{string.Join("\n", all.Take(20))}");
    }

    /// <summary>A desired state as observed: its device, version and content — the document without <c>issuedAt</c> and without each user's sealed secret (fresh per publish).</summary>
    private static (string DeviceId, long Version, string Content) Parse(ReceivedMessage message)
    {
        var document = JsonNode.Parse(DesiredMessages.Document(message.Payload))!.AsObject();
        document.Remove("issuedAt");
        foreach (var user in document["users"]!.AsArray())
        {
            user!.AsObject().Remove("secret");
        }

        return (message.Topic.Split('/')[3], (long)document["version"]!, document.ToJsonString());
    }
}
