using System.Net;
using System.Text.Json.Nodes;
using FleetMfa.EndToEnd.Infrastructure;

namespace FleetMfa.EndToEnd;

/// <summary>
/// An external broker that goes away and comes back: the silo reports itself unhealthy meanwhile, the bridge and the
/// agent reconnect on their own (DESIGN §5 "reconnects with back-off forever"), and a change made during the outage
/// still reaches the device. And the other way round: the silo goes away while the broker stays, and what agents sent
/// meanwhile waits in the bridge's session.
/// </summary>
[Collection(EndToEndCollectionDefinition.Name)]
public sealed class BrokerOutageTests(EndToEndFixture fixture)
{
    [Fact]
    public async Task A_change_made_while_Mosquitto_is_down_reaches_the_agent_once_it_is_back()
    {
        const string name = "outage";
        await using var plane = await ControlPlane.StartAsync(BrokerKind.Mosquitto, fixture.NewSiloSettings(name), fixture.Workspace);
        var admin = plane.Admin;
        var flow = await AgentFlow.RunAsync(plane.Silo, fixture.Workspace, name);
        await using var agent = flow.Agent;
        var mosquitto = plane.Mosquitto!;

        await mosquitto.StopAsync();
        var health = await Poll.UntilAsync(
            () => plane.Silo.Anonymous.GetAsync("/healthz"),
            r => r.Status == HttpStatusCode.ServiceUnavailable,
            "GET /healthz 503 while the broker is down");
        Assert.Equal("down", (string?)JsonNode.Parse(health.Body)!["broker"]);

        // The operator turns MFA off during the outage: accepted, stored, not yet on the device.
        var disabled = (await admin.PostAsync($"/api/orgs/{flow.OrgId}/devices/{flow.DeviceId}/mfa/disable")).Ok();
        Assert.Equal("pending", (string?)disabled["mfa"]!["status"]);

        await mosquitto.RestartAsync();
        await Poll.UntilAsync(() => plane.Silo.ProbeHealthAsync(), status => status == HttpStatusCode.OK, "GET /healthz 200 after the broker is back");
        await admin.WaitForMfaStatusAsync(flow.OrgId, flow.DeviceId, "disabled");
        var connects = agent.AllLogs().Split('\n').Count(line => line.Contains(" information connected to ", StringComparison.Ordinal));
        Assert.True(connects >= 2, $"the agent connected {connects} time(s); it should have reconnected after the outage");

        var status = await agent.StatusAsync();
        Assert.False((bool)status["mfa"]!);
        Assert.Equal(0, await agent.VerifyAsync(flow.LocalUsername, Oathtool.WrongTotp(flow.Secret)));
        Assert.Equal("not-required", (string?)Assert.Single(await admin.GetDeviceUsersAsync(flow.OrgId, flow.DeviceId))!["onDevice"]);
    }

    [Fact]
    public async Task A_login_decided_while_the_silo_restarts_reaches_the_audit_trail_through_the_bridges_session()
    {
        const string name = "bridge-session";
        await using var mosquitto = await MosquittoBroker.StartAsync(fixture.Workspace, name);
        var settings = (fixture.NewSiloSettings(name) with { HttpPort = FreePorts.Next() }).WithMosquitto(mosquitto);
        AgentFlowResult flow;
        await using (var first = await SiloProcess.StartAsync(settings))
        {
            flow = await AgentFlow.RunAsync(first, fixture.Workspace, name);
            Assert.Equal(0, await first.StopAsync());
        }

        // The agent stays connected to Mosquitto and uploads the login at once; no bridge is subscribed right now.
        await using var agent = flow.Agent;
        Assert.Equal(0, await agent.VerifyAsync(flow.LocalUsername, Oathtool.Totp(flow.Secret)));
        await Poll.UntilAsync(
            () => Task.FromResult(agent.AllLogs()),
            logs => logs.Contains("uploaded 1 audit events", StringComparison.Ordinal),
            "the agent uploaded its login event to Mosquitto");

        await using var second = await SiloProcess.StartAsync(settings);
        var events = await Poll.UntilAsync(
            () => second.Admin.ReadDeviceEventsAsync(flow.OrgId),
            e => e.Count == 1,
            "the login sent while no silo was connected, in the audit trail");
        Assert.Equal("accepted", (string?)events[0]["outcome"]);
    }
}
