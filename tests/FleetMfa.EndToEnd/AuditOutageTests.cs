using System.Diagnostics;
using System.Text.Json;
using FleetMfa.EndToEnd.Infrastructure;
using FleetMfa.Protocol.Documents;
using FleetMfa.Protocol.Signing;
using FleetMfa.Testing.Agents;
using FleetMfa.Testing.Fleet;
using FleetMfa.Testing.Storage;
using Xunit.Abstractions;

namespace FleetMfa.EndToEnd;

/// <summary>
/// Azure Table storage is unreachable for a silo for <see cref="Outage"/> while its agents (the real agent code, each
/// with its own session on Mosquitto) decide logins and upload them: no grain can store a login record all that time.
/// The bridge holds every message it could not hand over unacknowledged — the broker keeps it in the bridge's session —
/// and tries again until storage is back, saying so in <c>fleetmfa_ingest_held</c>; and every agent keeps its logins
/// queued, though the broker took them, until the control plane's receipt says they are stored. Afterwards every login
/// is in the audit trail, none twice, and the agents' queues are empty. (Before, the bridge gave a message up after four
/// attempts, about 7 s plus the storage client's own retries, and the agent had already dropped it: the record was gone.)
/// Meanwhile an account that may write every device's <c>receipts</c> topic (a leaked account) forges receipts naming
/// every queued login — a bare receipt, and one signed by a key of its own — and erases nothing.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class AuditOutageTests(EndToEndFixture fixture, ITestOutputHelper output)
{
    private const int AgentCount = 20;

    /// <summary>Logins each agent decides during the outage, spread over it (agents upload every 5 s).</summary>
    private const int LoginsPerAgent = 6;

    /// <summary>A fixed stretch of wall-clock time: the silo's storage client and its retries run on real time.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan SetupDeadline = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Logins_uploaded_while_storage_is_unreachable_for_30_seconds_all_reach_the_audit_trail_once()
    {
        await using var storage = StorageProxy.Start(fixture.Storage.ConnectionString);
        await using var mosquitto = await MosquittoBroker.StartAsync(fixture.Workspace, "audit-outage", writer: true);
        await using var silo = await SiloProcess.StartAsync((fixture.NewSiloSettings("audit-outage") with { Storage = storage.ConnectionString }).WithMosquitto(mosquitto));
        var org = await TestOrg.CreateAsync(silo.Api, TestIds.Unique("audit-outage"));
        await org.EnrollUserAsync(silo.Api, "alice");
        await using var fleet = await AgentFleet.StartAsync(org, silo.Api, [silo.AgentAddress], AgentCount, "audit-outage", "alice", SetupDeadline);

        storage.Cut();
        var outage = Stopwatch.StartNew();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        double heldPeak = 0;
        for (var round = 0; round < LoginsPerAgent; round++)
        {
            foreach (var agent in fleet.Agents)
            {
                var login = new AuditEvent(Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow, AuditOutcome.Accepted, "alice", "alice");
                agent.Store.AppendAudit(login);
                expected.Add($"dev:{agent.DeviceId}:{login.Id}");
            }

            await Task.Delay(Outage / LoginsPerAgent);
            heldPeak = Math.Max(heldPeak, (await PrometheusText.ScrapeAsync(silo.Admin)).Sum("fleetmfa_ingest_held"));
        }

        // Forged receipts for every queued login change nothing: the agents trust only receipts signed with their pinned key.
        var forged = await ForgeReceiptsAsync(mosquitto, org.OrgId, fleet);
        await Poll.UntilAsync(() => fleet.Agents.All(a => a.Signals.UntrustedReceipts >= 2), "every agent ignoring both forged receipts");

        // Nothing is stored, so nothing is receipted: every login is still queued on its device.
        var queuedAtEnd = fleet.Agents.Sum(a => a.Store.PeekAudit(AuditEventBatch.MaxEvents).Count);
        var refused = storage.ConnectionsRefused;
        storage.Restore();
        Assert.Equal(expected.Count, queuedAtEnd);
        Assert.True(refused > 0, "the silo never tried to reach storage during the outage");
        Assert.True(heldPeak > 0, "the bridge never said it held a message no grain could take");

        var stored = await Poll.UntilAsync(
            () => silo.Admin.ReadDeviceEventsAsync(org.OrgId),
            events => events.Count >= expected.Count,
            $"the {expected.Count} logins decided during the outage in the audit trail",
            TimeSpan.FromMinutes(2));
        var recovered = outage.Elapsed - Outage;
        var ids = stored.Select(e => (string)e["id"]!).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(expected.Except(ids));
        Assert.Empty(ids.Except(expected));
        Assert.Equal(0, (await PrometheusText.ScrapeAsync(silo.Admin)).Sum("fleetmfa_ingest_held"));
        await Poll.UntilAsync(
            () => Task.FromResult(fleet.Agents.Sum(a => a.Store.PeekAudit(1).Count)),
            queued => queued == 0,
            "every agent's queue emptied by the control plane's receipts");

        output.WriteLine(
            $"{expected.Count} logins from {AgentCount} agents during a {Outage.TotalSeconds:F0} s outage ({refused} storage connections refused); " +
            $"at most {heldPeak} messages held unacknowledged at once; {forged} forged receipts erased nothing; all {stored.Count} stored, none twice, " +
            $"{recovered.TotalSeconds:F1} s after storage came back");
    }

    /// <summary>Publishes, for each agent, a bare receipt and one signed by a stranger's key naming all its queued events; how many were published.</summary>
    private static async Task<int> ForgeReceiptsAsync(MosquittoBroker mosquitto, string orgId, AgentFleet fleet)
    {
        await using var writer = await mosquitto.Writer!.ConnectEventuallyAsync();
        using var stranger = DesiredStateSigner.FromPrivateKey(DesiredStateSigner.NewPrivateKey());
        var published = 0;
        foreach (var agent in fleet.Agents)
        {
            var ids = agent.Store.PeekAudit(AuditEventBatch.MaxEvents).Select(e => e.Id).ToList();
            var topic = $"fleetmfa/v1/{orgId}/{agent.DeviceId}/receipts";
            var bare = JsonSerializer.SerializeToUtf8Bytes(new { schema = 1, stored = ids });
            var signed = stranger.SignReceipt(new AuditReceipt(AuditReceipt.CurrentSchema, orgId, agent.DeviceId, ids));
            foreach (var receipt in new[] { bare, signed })
            {
                Assert.Equal(MQTTnet.MqttClientPublishReasonCode.Success, await writer.PublishAsync(topic, receipt));
                published++;
            }
        }

        return published;
    }
}
